import Foundation

/// Special functions needed by the uniformity tests.
public enum SpecialFunctions {
    /// The regularised upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a): the χ²
    /// survival function is Q(k/2, χ²/2). Series for x < a + 1, Lentz continued fraction
    /// otherwise (Numerical Recipes §6.2), to ~1e-14 relative.
    public static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0)
        if x <= 0 { return 1 }
        let logPrefactor = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var sum = 1 / a, term = sum, ap = a
            for _ in 0..<1000 {
                ap += 1
                term *= x / ap
                sum += term
                if abs(term) < abs(sum) * 1e-15 { break }
            }
            return max(0, 1 - sum * exp(logPrefactor))
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<1000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return min(1, exp(logPrefactor) * h)
    }
}
