import DigsCore
import Foundation

/// The normal distribution N(mean, sd²) truncated to (low, high): its density and draws, with the
/// truncated mass computed in logs from whichever tail keeps it accurate (erfc, and beyond 8 σ
/// the asymptotic series of Mills' ratio), so a range far in a tail still has a finite, correct
/// density.
public enum TruncatedNormal {
    /// log P(Z > a) for a standard normal Z.
    static func logSurvival(_ a: Double) -> Double {
        guard a > 8 else { return log(0.5 * erfc(a / 2.0.squareRoot())) }
        let s = 1 / (a * a)
        return -a * a / 2 - log(a * (2 * Double.pi).squareRoot()) + log(1 - s + 3 * s * s - 15 * s * s * s + 105 * s * s * s * s)
    }

    /// log P(a < Z < b) for a standard normal Z (−∞ where a ≥ b).
    public static func logMass(_ a: Double, _ b: Double) -> Double {
        guard a < b else { return -.infinity }
        if a >= 0 { return logSurvival(a) + log1p(-exp(logSurvival(b) - logSurvival(a))) }
        if b <= 0 { return logSurvival(-b) + log1p(-exp(logSurvival(-a) - logSurvival(-b))) }
        return log1p(-exp(logSurvival(-a)) - exp(logSurvival(b)))
    }

    /// log density at x (−∞ outside (low, high)).
    public static func logDensity(_ x: Double, mean: Double, sd: Double, low: Double, high: Double) -> Double {
        guard x > low, x < high else { return -.infinity }
        return -0.5 * pow((x - mean) / sd, 2) - log(sd) - 0.5 * log(2 * Double.pi) - logMass((low - mean) / sd, (high - mean) / sd)
    }

    /// One draw strictly inside (low, high): by rejection where the range holds ≥ 5 % of the
    /// normal's mass, else by bisection of the truncated CDF (from the tail the range lies in).
    /// nil where the range holds no representable mass.
    public static func draw(mean: Double, sd: Double, low: Double, high: Double, generator g: inout Xoshiro256StarStar) -> Double? {
        let a = (low - mean) / sd, b = (high - mean) / sd, logZ = logMass(a, b)
        guard logZ.isFinite else { return nil }
        if logZ >= log(0.05) {
            while true {
                let x = mean + sd * g.nextNormal()
                if x > low && x < high { return x }
            }
        }
        // The range in the upper tail, mirrored when it lies in the lower one: F(z) = P(a' < Z < z) / P(a' < Z < b').
        let mirrored = b <= 0
        let (lower, upper) = mirrored ? (-b, -a) : (a, b)
        let u = g.nextUniform()
        var (lo, hi) = (lower, upper)
        for _ in 0..<200 where hi - lo > 1e-13 * max(1, abs(lo)) {
            let mid = 0.5 * (lo + hi)
            if exp(logMass(lower, mid) - logZ) < u { lo = mid } else { hi = mid }
        }
        let z = 0.5 * (lo + hi)
        return min(max(mean + sd * (mirrored ? -z : z), low.nextUp), high.nextDown)
    }
}
