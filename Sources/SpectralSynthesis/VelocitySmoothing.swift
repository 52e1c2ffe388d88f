import Foundation

/// Gaussian line-of-sight velocity broadening on a grid uniform in ln λ.
///
/// On such a grid a velocity dispersion σ_v is a constant width σ_v/c in ln λ, i.e.
/// σ_pix = σ_v / (c · Δlnλ) pixels, so broadening is a convolution with a fixed kernel:
/// w_n ∝ exp(−n²/2σ_pix²), |n| ≤ ⌈5σ_pix⌉, normalised to unit sum (flux conserving).
public enum VelocitySmoothing {
    /// Speed of light, km/s.
    public static let speedOfLight = 299_792.458

    /// The normalised kernel for σ_v (km/s) on a grid of step Δlnλ.
    public static func kernel(sigmaKms: Double, logStep: Double) -> [Double] {
        let sigmaPix = sigmaKms / speedOfLight / logStep
        guard sigmaPix > 0 else { return [1] }
        let half = Int((5 * sigmaPix).rounded(.up))
        let w = (-half...half).map { n in exp(-Double(n * n) / (2 * sigmaPix * sigmaPix)) }
        let s = w.reduce(0, +)
        return w.map { $0 / s }
    }

    /// The convolution as a linear map on `count` pixels; rows within half a kernel of the
    /// ends are truncated (callers keep a margin so those rows are never used).
    public static func map(count: Int, sigmaKms: Double, logStep: Double) -> SparseLinearMap {
        let k = kernel(sigmaKms: sigmaKms, logStep: logStep)
        let half = k.count / 2
        let rows = (0..<count).map { i in
            (max(0, i - half)...min(count - 1, i + half)).map { ($0, k[$0 - i + half]) }
        }
        return SparseLinearMap(inputCount: count, rows: rows)
    }
}
