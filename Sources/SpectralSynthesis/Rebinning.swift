/// Flux-conserving rebinning operators, as sparse linear maps.
///
/// The input is piecewise constant on its bins (the `spectres` algorithm of Carnall 2017):
/// the internal grid onto the instrument pixels, and library ages onto age bins. Output bins are given by their edges; an output bin partly outside the input
/// range is an error for the caller to prevent (the maps assume full coverage).
public enum Rebinning {
    /// Bin edges around centres: midpoints inside, half a step beyond the ends.
    public static func edges(centres x: [Double]) -> [Double] {
        precondition(x.count >= 2)
        var e = [x[0] - (x[1] - x[0]) / 2]
        for i in 0..<(x.count - 1) { e.append((x[i] + x[i + 1]) / 2) }
        e.append(x[x.count - 1] + (x[x.count - 1] - x[x.count - 2]) / 2)
        return e
    }

    /// Averages of a piecewise-constant function (value f_i on [inEdges[i], inEdges[i+1]])
    /// over each output bin (the spectres algorithm); output bins must lie within the input.
    public static func averagingPiecewiseConstant(inputEdges: [Double], onto edges: [Double]) -> SparseLinearMap {
        var rows: [[(Int, Double)]] = []
        var i = 0
        let n = inputEdges.count - 1
        for j in 0..<(edges.count - 1) {
            let lo = edges[j], hi = edges[j + 1]
            precondition(lo >= inputEdges[0] && hi <= inputEdges[n] && hi > lo, "bin [\(lo), \(hi)] outside the input")
            while i < n - 1 && inputEdges[i + 1] <= lo { i += 1 }
            var row: [(Int, Double)] = []
            var k = i
            while k < n && inputEdges[k] < hi {
                let overlap = min(hi, inputEdges[k + 1]) - max(lo, inputEdges[k])
                if overlap > 0 { row.append((k, overlap / (hi - lo))) }
                k += 1
            }
            rows.append(row)
        }
        return SparseLinearMap(inputCount: n, rows: rows)
    }
}
