import Foundation

/// Galactic extinction of Cardelli, Clayton & Mathis (1989, ApJ 345, 245), optical/near-IR
/// branches, for R_V = A_V / E(B−V) (3.1 for the diffuse Milky Way). Observed spectra are
/// corrected by multiplying with 10^(0.4 A_λ), A_λ = R_V E(B−V) (a(x) + b(x)/R_V), where x is
/// the inverse observed-frame air wavelength in μm⁻¹ (valid 0.3 ≤ x ≤ 3.3, 3030 Å–3.3 μm).
public struct MilkyWayExtinction: Sendable, Equatable {
    /// Colour excess E(B−V), mag.
    public let ebv: Double
    public let rv: Double

    public init(ebv: Double, rv: Double = 3.1) {
        self.ebv = ebv
        self.rv = rv
    }

    /// A_λ / A_V at wavelength `angstrom` (Å).
    public static func relative(_ angstrom: Double, rv: Double = 3.1) -> Double {
        let x = 1e4 / angstrom
        let a: Double, b: Double
        if x < 1.1 {
            let p = pow(x, 1.61)
            (a, b) = (0.574 * p, -0.527 * p)
        } else {
            let y = x - 1.82
            let ca: [Double] = [1, 0.17699, -0.50447, -0.02427, 0.72085, 0.01979, -0.77530, 0.32999]
            let cb: [Double] = [0, 1.41338, 2.28305, 1.07233, -5.38434, -0.62251, 5.30260, -2.09002]
            (a, b) = (ca.reversed().reduce(0) { $0 * y + $1 }, cb.reversed().reduce(0) { $0 * y + $1 })
        }
        return a + b / rv
    }

    /// Multiplicative correction 10^(0.4 A_λ) for a flux at wavelength `angstrom` (Å).
    public func correction(_ angstrom: Double) -> Double {
        pow(10, 0.4 * ebv * rv * Self.relative(angstrom, rv: rv))
    }
}
