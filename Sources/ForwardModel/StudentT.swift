import Foundation

/// Student's t distribution with ν degrees of freedom, location μ and scale s: density,
/// distribution function and quantile. The distribution function is the regularised incomplete
/// beta function, F(t) = 1 − ½ I_{ν/(ν+z²)}(ν/2, ½) for z = (t − μ)/s ≥ 0 (near the centre
/// ½ + ½ I_{z²/(ν+z²)}(½, ν/2), the same value without cancellation); for ν = 1 and ν = 2
/// the closed forms are used (Cauchy: ½ + atan(z)/π; ν = 2: ½ + z/(2√(2 + z²))).
public struct StudentT: Sendable, Equatable {
    public let nu: Double
    public let location: Double
    public let scale: Double

    public init(nu: Double, location: Double, scale: Double) {
        (self.nu, self.location, self.scale) = (nu, location, scale)
    }

    /// log f(t).
    public func logDensity(_ t: Double) -> Double {
        let z = (t - location) / scale
        return lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * Double.pi) - log(scale)
            - (nu + 1) / 2 * log1p(z * z / nu)
    }

    /// F(t) = P(T ≤ t).
    public func cdf(_ t: Double) -> Double {
        let z = (t - location) / scale
        if z.isInfinite { return z > 0 ? 1 : 0 }
        switch nu {
        case 1: return 0.5 + atan(z) / Double.pi
        case 2: return 0.5 + z / (2 * (2 + z * z).squareRoot())
        default:
            // Near the centre through z²/(ν + z²), which keeps its precision as z → 0.
            if z * z < nu {
                let half = 0.5 * Self.regularizedIncompleteBeta(z * z / (nu + z * z), 0.5, nu / 2)
                return z >= 0 ? 0.5 + half : 0.5 - half
            }
            let tail = 0.5 * Self.regularizedIncompleteBeta(nu / (nu + z * z), nu / 2, 0.5)
            return z >= 0 ? 1 - tail : tail
        }
    }

    /// The t with F(t) = p, 0 < p < 1 (closed forms for ν = 1, 2; else bisection on F to 1e-15).
    public func quantile(_ p: Double) -> Double {
        switch nu {
        case 1: return location + scale * tan(Double.pi * (p - 0.5))
        case 2: return location + scale * (2 * p - 1) / (2 * (p * (1 - p))).squareRoot()
        default:
            var (lo, hi) = (-1.0, 1.0)
            while cdf(location + scale * lo) > p { lo *= 2 }
            while cdf(location + scale * hi) < p { hi *= 2 }
            for _ in 0..<200 where hi - lo > 1e-15 * max(1, abs(lo)) {
                let mid = (lo + hi) / 2
                if cdf(location + scale * mid) < p { lo = mid } else { hi = mid }
            }
            return location + scale * (lo + hi) / 2
        }
    }

    /// I_x(a, b) by the continued fraction of Numerical Recipes (§6.4), on the side where it converges fast.
    static func regularizedIncompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x))
        if x < (a + 1) / (a + b + 2) { return front * continuedFraction(x, a, b) / a }
        return 1 - front * continuedFraction(1 - x, b, a) / b
    }

    /// Lentz's evaluation of the incomplete beta continued fraction.
    static func continuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        d = 1 / (abs(d) < tiny ? tiny : d)
        var h = d
        for m in 1...300 {
            let m = Double(m), m2 = 2 * m
            for numerator in [m * (b - m) * x / ((a + m2 - 1) * (a + m2)), -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))] {
                d = 1 + numerator * d
                d = 1 / (abs(d) < tiny ? tiny : d)
                c = 1 + numerator / c
                if abs(c) < tiny { c = tiny }
                h *= d * c
            }
            if abs(d * c - 1) < 1e-16 { break }
        }
        return h
    }
}
