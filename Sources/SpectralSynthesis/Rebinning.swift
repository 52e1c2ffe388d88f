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

    /// The spectres overlap loop: for each output bin j = [edges[j], edges[j+1]], the input bins
    /// i it overlaps and the overlap in the bins' units (> 0), in increasing i. Both edge lists
    /// increase; output bins may reach beyond the input (they then overlap less than their width).
    public static func overlaps(inputEdges: [Double], outputEdges edges: [Double]) -> [[(input: Int, overlap: Double)]] {
        let n = inputEdges.count - 1
        var first = 0
        return (0..<max(edges.count - 1, 0)).map { j in
            let (lo, hi) = (edges[j], edges[j + 1])
            while first < n && inputEdges[first + 1] <= lo { first += 1 }
            var row = [(input: Int, overlap: Double)]()
            var i = first
            while i < n && inputEdges[i] < hi {
                let overlap = min(hi, inputEdges[i + 1]) - max(lo, inputEdges[i])
                if overlap > 0 { row.append((i, overlap)) }
                i += 1
            }
            return row
        }
    }

    /// Averages of a piecewise-constant function (value f_i on [inEdges[i], inEdges[i+1]])
    /// over each output bin (the spectres algorithm); output bins must lie within the input.
    public static func averagingPiecewiseConstant(inputEdges: [Double], onto edges: [Double]) -> SparseLinearMap {
        let n = inputEdges.count - 1
        for j in 0..<(edges.count - 1) {
            precondition(edges[j] >= inputEdges[0] && edges[j + 1] <= inputEdges[n] && edges[j + 1] > edges[j],
                         "bin [\(edges[j]), \(edges[j + 1])] outside the input")
        }
        let rows = zip(overlaps(inputEdges: inputEdges, outputEdges: edges), zip(edges, edges.dropFirst())).map { row, bin in
            row.map { ($0.input, $0.overlap / (bin.1 - bin.0)) }
        }
        return SparseLinearMap(inputCount: n, rows: rows)
    }
}
