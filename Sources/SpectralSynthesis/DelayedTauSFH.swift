import Foundation

/// The delayed-τ star-formation history SFR(t) ∝ (t/τ) e^(−t/τ) for 0 ≤ t ≤ t_age (t: time
/// since star formation began), integrated exactly over age bins.
///
/// Goals, in order: exact bin masses (closed form, no sampling), numerical stability for
/// τ ≫ t_age and τ ≪ t_age, speed (one `exp` per bin edge).
///
/// Derivation: the mass formed by time t is ∫₀ᵗ (s/τ) e^(−s/τ) ds = τ·P₂(t/τ) with
/// P₂(x) = 1 − (1 + x) e^(−x), the regularised lower incomplete gamma function of order 2.
/// A lookback-age bin [a₁, a₂] holds the stars formed at t ∈ [t_age − a₂, t_age − a₁]
/// (clipped to [0, t_age]), so its mass fraction is [P₂(x(t_age − a₁)) − P₂(x(t_age − a₂))] / P₂(t_age/τ).
public struct DelayedTauSFH: Sendable, Equatable {
    /// Age of the galaxy (time since star formation began), yr.
    public let age: Double
    /// e-folding time τ, yr.
    public let tau: Double

    public init(age: Double, tau: Double) {
        self.age = age
        self.tau = tau
    }

    /// P₂(x) = 1 − (1 + x) e^(−x), with a series below x = 0.1 to avoid cancellation.
    @inlinable
    public static func p2(_ x: Double) -> Double {
        if x < 0.1 {
            // Σ_{n≥2} (n − 1)·tₙ with tₙ = (−x)ⁿ/n!; 14 terms reach 1e-17 relative at x = 0.1.
            var t = x * x / 2
            var sum = t
            for n in 3...15 {
                t *= -x / Double(n)
                sum += Double(n - 1) * t
            }
            return sum
        }
        return 1 - (1 + x) * exp(-x)
    }

    /// Fractions of the total mass formed in each lookback-age bin; `edges` (yr, increasing)
    /// delimit `edges.count − 1` bins. The fractions sum to 1 when the bins cover [0, age].
    public func binFractions(edges: [Double], into result: inout [Double]) {
        let total = Self.p2(age / tau)
        // cumulative mass fraction formed before lookback age a: P₂((age − a)/τ) / total
        func formedBefore(_ a: Double) -> Double {
            a >= age ? 0 : Self.p2((age - max(a, 0)) / tau) / total
        }
        var upper = formedBefore(edges[0])
        for i in 0..<(edges.count - 1) {
            let lower = formedBefore(edges[i + 1])
            result[i] = upper - lower
            upper = lower
        }
    }

    /// The mass-formed-weighted (SFR-weighted) mean lookback age of the stars, yr:
    /// t_age − ⟨t⟩ with ⟨t⟩ = 2τ·P₃(x)/P₂(x), x = t_age/τ, P₃(x) = 1 − e^(−x)(1 + x + x²/2).
    public var sfrWeightedAge: Double {
        let x = age / tau
        return age - 2 * tau * Self.p3(x) / Self.p2(x)
    }

    /// P₃(x) = 1 − e^(−x)(1 + x + x²/2), by its series e^(−x) Σ_{k≥3} xᵏ/k! for small x.
    static func p3(_ x: Double) -> Double {
        if x < 1 {
            var term = x * x * x / 6
            var sum = term
            var k = 3.0
            while term > 1e-18 * sum {
                k += 1
                term *= x / k
                sum += term
            }
            return exp(-x) * sum
        }
        return 1 - exp(-x) * (1 + x + x * x / 2)
    }
}
