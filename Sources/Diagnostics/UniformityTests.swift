import Foundation

/// Goodness-of-fit tests of SBC ranks against the discrete uniform distribution on 0…S.
public enum UniformityTests {
    /// Kolmogorov–Smirnov test of ranks r ∈ 0…S against U(0, S+1) applied to r + ½ (the
    /// continuity-corrected discrete uniform): returns (D, p), p from the asymptotic
    /// Kolmogorov distribution with Stephens' small-sample correction,
    /// p = Q_KS((√n + 0.12 + 0.11/√n)·D).
    public static func kolmogorovSmirnov(ranks: [Int], samples s: Int) -> (statistic: Double, pValue: Double) {
        let u = ranks.map { (Double($0) + 0.5) / Double(s + 1) }
        return kolmogorovSmirnovUniform(u)
    }

    /// One-sample KS test of values in [0, 1] against U(0, 1).
    public static func kolmogorovSmirnovUniform(_ values: [Double]) -> (statistic: Double, pValue: Double) {
        let x = values.sorted(), n = Double(x.count)
        guard !x.isEmpty else { return (.nan, .nan) }
        var d = 0.0
        for (i, v) in x.enumerated() {
            d = max(d, Double(i + 1) / n - v, v - Double(i) / n)
        }
        let sq = n.squareRoot()
        return (d, kolmogorovQ((sq + 0.12 + 0.11 / sq) * d))
    }

    /// Q_KS(λ) = 2 Σ_{k≥1} (−1)^{k−1} exp(−2k²λ²), the Kolmogorov survival function.
    public static func kolmogorovQ(_ lambda: Double) -> Double {
        if lambda < 1.18 {
            // Small λ: the dual series converges faster, Q = 1 − √(2π)/λ Σ exp(−(2k−1)²π²/(8λ²)).
            guard lambda > 0 else { return 1 }
            let y = exp(-.pi * .pi / (8 * lambda * lambda))
            var s = 0.0
            for k in 1...6 { s += pow(y, Double((2 * k - 1) * (2 * k - 1))) }
            return min(1, max(0, 1 - (2 * Double.pi).squareRoot() / lambda * s))
        }
        var sum = 0.0, sign = 1.0
        for k in 1...100 {
            let term = exp(-2 * Double(k * k) * lambda * lambda)
            sum += sign * term
            if term < 1e-16 { break }
            sign = -sign
        }
        return min(1, max(0, 2 * sum))
    }

    /// χ² test of the rank histogram in `bins` equal-width bins of 0…S (S + 1 values must split
    /// evenly, or the bin edges follow floor(r·bins/(S+1))); returns (χ², dof, p).
    public static func chiSquare(ranks: [Int], samples s: Int, bins: Int) -> (statistic: Double, dof: Int, pValue: Double) {
        var counts = [Double](repeating: 0, count: bins)
        for r in ranks { counts[min(bins - 1, r * bins / (s + 1))] += 1 }
        // Expected counts from the exact share of the S + 1 rank values that fall in each bin.
        var share = [Double](repeating: 0, count: bins)
        for r in 0...s { share[min(bins - 1, r * bins / (s + 1))] += 1 }
        let n = Double(ranks.count)
        var chi2 = 0.0
        for b in 0..<bins {
            let e = n * share[b] / Double(s + 1)
            chi2 += (counts[b] - e) * (counts[b] - e) / e
        }
        let dof = bins - 1
        return (chi2, dof, SpecialFunctions.regularizedGammaQ(Double(dof) / 2, chi2 / 2))
    }

    /// A sensible number of histogram bins: about n/20 (≥ 5 expected per bin… ≥ 20 here), at
    /// most 20 and at most S + 1.
    public static func defaultBins(galaxies n: Int, samples s: Int) -> Int {
        max(2, min(20, n / 20, s + 1))
    }
}
