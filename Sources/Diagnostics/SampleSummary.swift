/// Summaries of the posterior samples of one galaxy, per parameter.
public struct SampleSummary: Sendable, Equatable {
    /// 16th, 50th and 84th percentiles, parameter units.
    public var p16: [Double], p50: [Double], p84: [Double]
    public var mean: [Double], std: [Double]
    /// The sample of highest posterior density (maximum log q).
    public var map: [Double]

    /// From `samples` [S × D] row-major and their log-densities [S]. Percentiles interpolate
    /// linearly between order statistics (numpy's default); std uses 1/S (numpy's default).
    public init(samples: [Double], logProb: [Double], dimensions d: Int) {
        let s = logProb.count
        precondition(samples.count == s * d && s > 0)
        (p16, p50, p84, mean, std) = ([], [], [], [], [])
        var column = [Double](repeating: 0, count: s)
        for j in 0..<d {
            for i in 0..<s { column[i] = samples[i * d + j] }
            column.sort()
            p16.append(Self.percentile(sorted: column, 16))
            p50.append(Self.percentile(sorted: column, 50))
            p84.append(Self.percentile(sorted: column, 84))
            let m = column.reduce(0, +) / Double(s)
            mean.append(m)
            std.append((column.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(s)).squareRoot())
        }
        var best = 0
        for i in 1..<s where logProb[i] > logProb[best] { best = i }
        map = Array(samples[(best * d)..<((best + 1) * d)])
    }

    /// The q-th percentile (0…100) of sorted values, linear between order statistics.
    public static func percentile(sorted x: [Double], _ q: Double) -> Double {
        let position = q / 100 * Double(x.count - 1)
        let lower = Int(position.rounded(.down)), upper = min(lower + 1, x.count - 1)
        let f = position - Double(lower)
        return x[lower] + f * (x[upper] - x[lower])
    }
}
