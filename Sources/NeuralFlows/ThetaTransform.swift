import DigsCore
import Foundation

/// How a parameter in its prior box [low, high] is mapped to ℝ before z-scoring, so that every
/// sample mapped back lies inside the prior. With t = (θ − low)/(high − low):
/// - `logit`: y = log t − log(1 − t) (sbi's bijection for box priors). A posterior whose density
///   stays finite at a prior edge (flat up to it) gets an exponential tail in y, heavier than
///   the Gaussian tails an affine flow on a normal base can make.
/// - `probit`: y = Φ⁻¹(t), the standard normal quantile. A uniform prior becomes exactly the
///   standard normal, and a posterior flat up to an edge gets a Gaussian tail, which such a flow
///   represents.
/// t is clamped to [10⁻¹², 1 − 10⁻¹²] (measured from the nearer edge), so a value on an edge
/// stays finite.
public enum ThetaTransform: String, Codable, Sendable, CaseIterable, SettingChoice {
    case logit
    case probit

    /// y for one parameter, and log|dy/dθ|.
    @inlinable
    public func forward(_ theta: Double, low: Double, high: Double) -> (y: Double, logJacobian: Double) {
        switch self {
        case .logit:
            let t = min(max((theta - low) / (high - low), 1e-12), 1 - 1e-12)
            // dy/dθ = 1 / ((high − low)·t·(1 − t))
            return (Foundation.log(t) - Foundation.log1p(-t), -Foundation.log(high - low) - Foundation.log(t) - Foundation.log1p(-t))
        case .probit:
            // The nearer edge's distance, so t near 1 keeps its precision.
            let t = max((theta - low) / (high - low), 1e-12), s = max((high - theta) / (high - low), 1e-12)
            let y = t <= s ? Self.normalQuantile(min(t, 0.5)) : -Self.normalQuantile(min(s, 0.5))
            return (y, Self.probitLogJacobian(y, low: low, high: high))
        }
    }

    /// θ for one y, and log|dy/dθ| at that θ.
    @inlinable
    public func inverse(_ y: Double, low: Double, high: Double) -> (theta: Double, logJacobian: Double) {
        switch self {
        case .logit:
            let t = 1 / (1 + Foundation.exp(-y))
            let theta = low + (high - low) * t
            return (theta, forward(theta, low: low, high: high).logJacobian)
        case .probit:
            let theta = y <= 0 ? low + (high - low) * Self.normalCDF(y) : high - (high - low) * Self.normalCDF(-y)
            let clamped = min(max(y, -Self.edgeQuantile), Self.edgeQuantile)  // as forward's clamp
            return (theta, Self.probitLogJacobian(clamped, low: low, high: high))
        }
    }

    /// Φ⁻¹(10⁻¹²): forward's y at an edge.
    public static let edgeQuantile = -normalQuantile(1e-12)

    /// log|dy/dθ| = −log(high − low) − log φ(y).
    @inlinable
    static func probitLogJacobian(_ y: Double, low: Double, high: Double) -> Double {
        -Foundation.log(high - low) + y * y / 2 + 0.5 * Foundation.log(2 * Double.pi)
    }

    /// Φ(y), the standard normal distribution function.
    @inlinable
    public static func normalCDF(_ y: Double) -> Double { 0.5 * Foundation.erfc(-y / 2.0.squareRoot()) }

    /// Φ⁻¹(p) for 0 < p ≤ ½·(1 + …): Acklam's rational approximation (relative error < 1.2·10⁻⁹)
    /// refined by one Halley step on Φ, which brings it to double precision.
    public static func normalQuantile(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let pLow = 0.02425
        var x: Double
        if p < pLow {
            let q = (-2 * Foundation.log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - pLow {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * Foundation.log1p(-p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        // Halley: e = Φ(x) − p, u = e·√(2π)·exp(x²/2), x ← x − u/(1 + x·u/2).
        let e = normalCDF(x) - p
        let u = e * (2 * Double.pi).squareRoot() * Foundation.exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }
}
