import DigsCore
import ForwardModel
import Foundation

/// Parameter vectors from a CSV table whose header names the model parameters (any order,
/// extra columns ignored, `#` lines are comments): how a user asks for spectra of chosen θ.
public enum ThetaTable {
    /// Reads the table into [N, P] in the priors' order, checking every value against the prior.
    public static func read(path: String, priors: PriorSet) throws -> NDArray<Double> {
        let text = try readTextFile(path)
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .enumerated().filter { !$0.element.isEmpty && !$0.element.hasPrefix("#") }
        guard let header = lines.first else {
            throw DigsError.invalidProduct(path: path, field: "header", problem: "the table is empty")
        }
        let names = header.element.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let columns = try priors.names.map { name -> Int in
            guard let c = names.firstIndex(of: name) else {
                throw DigsError.invalidProduct(path: path, field: "header",
                                               problem: "has no column '\(name)' (needs \(priors.names.joined(separator: ", ")))")
            }
            return c
        }
        var data: [Double] = []
        for (row, (number, line)) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == names.count else {
                throw DigsError.invalidProduct(path: path, field: "line \(number + 1)",
                                               problem: "has \(cells.count) values, the header has \(names.count)")
            }
            let values = try columns.enumerated().map { p, c -> Double in
                guard let v = Double(cells[c]) else {
                    throw DigsError.invalidProduct(path: path, field: "line \(number + 1) column '\(names[c])'",
                                                   problem: "'\(cells[c])' is not a number")
                }
                return v
            }
            try priors.check(values[...], row: row, source: path)
            data += values
        }
        guard !data.isEmpty else { throw DigsError.invalidProduct(path: path, field: "rows", problem: "the table has no rows") }
        return try NDArray(shape: [data.count / priors.count, priors.count], data: data)
    }
}
