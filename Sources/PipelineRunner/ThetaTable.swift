import DigsCore
import ForwardModel
import Foundation

/// Parameter vectors from a CSV table whose header names the model parameters (any order,
/// extra columns ignored, `#` lines are comments): how a user asks for spectra of chosen θ.
public enum ThetaTable {
    /// Reads the table into [N, P] in the priors' order, checking every value against the prior.
    public static func read(path: String, priors: PriorSet) throws -> NDArray<Double> {
        let table = try CSVTable(path: path)
        let columns = try priors.names.map { name -> [Double] in
            guard let c = table.column(name) else {
                throw DigsError.invalidProduct(path: path, field: "header",
                                               problem: "has no column '\(name)' (needs \(priors.names.joined(separator: ", ")))")
            }
            return try table.numbers(column: c)
        }
        guard !table.rows.isEmpty else { throw DigsError.invalidProduct(path: path, field: "rows", problem: "the table has no rows") }
        var data: [Double] = []
        for row in table.rows.indices {
            let values = columns.map { $0[row] }
            try priors.check(values[...], row: row, source: path)
            data += values
        }
        return try NDArray(shape: [table.rows.count, priors.count], data: data)
    }
}
