import Foundation

/// The band a histogram bin's count stays in under uniformity: Binomial(n, p) quantiles.
public enum BinomialBand {
    /// The smallest k with P(X ≤ k) ≥ q for X ~ Binomial(n, p) (scipy's `binom.ppf`), by
    /// summing the probabilities in log space.
    public static func quantile(_ q: Double, n: Int, p: Double) -> Int {
        var cumulative = 0.0
        for k in 0...n {
            let logP = lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
                + Double(k) * log(p) + Double(n - k) * log1p(-p)
            cumulative += exp(logP)
            if cumulative >= q * (1 - 1e-12) { return k }
        }
        return n
    }

    /// The central `level` band of a bin count: (lower, upper) quantiles.
    public static func band(n: Int, p: Double, level: Double = 0.95) -> (lower: Int, upper: Int) {
        (quantile((1 - level) / 2, n: n, p: p), quantile((1 + level) / 2, n: n, p: p))
    }
}
