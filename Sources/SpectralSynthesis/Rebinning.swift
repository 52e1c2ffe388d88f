/// Flux-conserving rebinning operators, as sparse linear maps.
///
/// Two input models: samples of a piecewise-linear function (exact average of the linear
/// interpolant over each output bin — for the raw SSP grids), and piecewise-constant bins
/// (the `spectres` algorithm of Carnall 2017 — for the internal grid onto the instrument
/// pixels). Output bins are given by their edges; an output bin partly outside the input
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

    /// Averages of the piecewise-linear interpolant through (x, f) over each bin
    /// [edges[j], edges[j+1]]; the bins must lie within [x.first, x.last].
    public static func averagingPiecewiseLinear(samples x: [Double], onto edges: [Double]) -> SparseLinearMap {
        var rows: [[(Int, Double)]] = []
        var i = 0  // segment index: [x[i], x[i+1]]
        for j in 0..<(edges.count - 1) {
            let lo = edges[j], hi = edges[j + 1]
            precondition(lo >= x[0] && hi <= x[x.count - 1] && hi > lo, "bin [\(lo), \(hi)] outside the samples")
            while i < x.count - 2 && x[i + 1] <= lo { i += 1 }
            var weights: [Int: Double] = [:]
            var k = i
            while k < x.count - 1 && x[k] < hi {
                let a = max(lo, x[k]), b = min(hi, x[k + 1])
                if b > a {
                    // ∫_a^b linear(f_k, f_{k+1}) = (b − a)·[f_k (1 − m) + f_{k+1} m], m = mid fraction
                    let h = x[k + 1] - x[k]
                    let m = ((a + b) / 2 - x[k]) / h
                    weights[k, default: 0] += (b - a) * (1 - m)
                    weights[k + 1, default: 0] += (b - a) * m
                }
                k += 1
            }
            let width = hi - lo
            rows.append(weights.sorted { $0.key < $1.key }.map { ($0.key, $0.value / width) })
        }
        return SparseLinearMap(inputCount: x.count, rows: rows)
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
