/// A linear map y = A·x stored by rows (compressed sparse rows), for the fixed wavelength
/// operations of the forward model: the instrument response, line profiles and flux-conserving
/// rebinning. Applied once per SSP when the instrument grid is prepared.
public struct SparseLinearMap: Sendable {
    /// Length of the input vector.
    public let inputCount: Int
    /// Row start offsets into `columns`/`weights`; count = rows + 1.
    public let rowStarts: [Int]
    public let columns: [Int]
    public let weights: [Double]

    public var outputCount: Int { rowStarts.count - 1 }

    /// Builds a map from one list of (column, weight) entries per output row.
    public init(inputCount: Int, rows: [[(Int, Double)]]) {
        var starts = [0]
        var columns: [Int] = []
        var weights: [Double] = []
        for row in rows {
            for (c, w) in row where w != 0 {
                precondition(c >= 0 && c < inputCount, "column \(c) outside 0..<\(inputCount)")
                columns.append(c)
                weights.append(w)
            }
            starts.append(columns.count)
        }
        self.inputCount = inputCount
        self.rowStarts = starts
        self.columns = columns
        self.weights = weights
    }

    /// y = A·x.
    public func apply<C: RandomAccessCollection>(_ x: C) -> [Double] where C.Element == Double, C.Index == Int {
        precondition(x.count == inputCount)
        let base = x.startIndex
        var y = [Double](repeating: 0, count: outputCount)
        for r in 0..<outputCount {
            var s = 0.0
            for k in rowStarts[r]..<rowStarts[r + 1] { s += weights[k] * x[base + columns[k]] }
            y[r] = s
        }
        return y
    }
}
