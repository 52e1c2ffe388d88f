import DigsCore
import Foundation

/// A flat ΛCDM cosmology without radiation (astropy's `FlatLambdaCDM(H0, Om0)` with
/// `Tcmb0 = 0`): luminosity distances for turning observed fluxes into luminosities.
public struct FlatLambdaCDM: Codable, Equatable, Sendable {
    /// Hubble constant, km s⁻¹ Mpc⁻¹.
    public var h0: Double
    /// Matter density today in units of the critical density (Ω_Λ = 1 − Ω_m).
    public var omegaM: Double

    /// Planck-era round numbers used by most survey catalogs: H0 = 70, Ω_m = 0.3.
    public static let standard = FlatLambdaCDM(h0: 70, omegaM: 0.3)
    /// Speed of light, km s⁻¹.
    public static let speedOfLight = 299_792.458
    /// One megaparsec in cm (IAU 2012 au and parsec definitions).
    public static let megaparsecCm = 3.085_677_581_491_367e24

    public init(h0: Double, omegaM: Double) {
        self.h0 = h0
        self.omegaM = omegaM
    }

    enum CodingKeys: String, CodingKey { case h0 = "H0", omegaM = "Om0" }

    /// Hubble distance c/H0, Mpc.
    public var hubbleDistance: Double { Self.speedOfLight / h0 }

    /// E(z) = H(z)/H0.
    public func e(_ z: Double) -> Double { (omegaM * pow(1 + z, 3) + (1 - omegaM)).squareRoot() }

    /// Line-of-sight comoving distance to redshift z, Mpc: D_H ∫₀^z dz′/E(z′), by composite
    /// Gauss–Legendre quadrature (8 nodes on each of 64 panels: relative error below 10⁻¹²
    /// for z < 10).
    public func comovingDistance(_ z: Double) -> Double {
        guard z > 0 else { return 0 }
        let nodes: [(Double, Double)] = [
            (0.1834346424956498, 0.3626837833783620), (-0.1834346424956498, 0.3626837833783620),
            (0.5255324099163290, 0.3137066458778873), (-0.5255324099163290, 0.3137066458778873),
            (0.7966664774136267, 0.2223810344533745), (-0.7966664774136267, 0.2223810344533745),
            (0.9602898564975363, 0.1012285362903763), (-0.9602898564975363, 0.1012285362903763),
        ]
        let panels = 64, width = z / Double(panels)
        var sum = 0.0
        for k in 0..<panels {
            let mid = (Double(k) + 0.5) * width
            for (x, w) in nodes { sum += w / e(mid + x * width / 2) }
        }
        return hubbleDistance * sum * width / 2
    }

    /// Hubble time 1/H0, Gyr (Gyr of Julian years, as astropy).
    public var hubbleTime: Double { Self.megaparsecCm / 1e5 / h0 / (365.25 * 86_400 * 1e9) }

    /// Age of the Universe at redshift z, Gyr: ∫_z^∞ dz′ / ((1 + z′) H(z′)), in closed form for
    /// flat ΛCDM without radiation, t = 2 / (3 H0 √Ω_Λ) · asinh(√(Ω_Λ/Ω_m) (1 + z)^(−3/2))
    /// (Ω_Λ = 0: the Einstein–de Sitter 2 / (3 H0) (1 + z)^(−3/2); Ω_m = 0: infinite).
    public func age(_ z: Double) -> Double {
        let lambda = 1 - omegaM
        guard omegaM > 0 else { return .infinity }
        if lambda < 1e-12 { return 2 / 3 * hubbleTime * pow(1 + z, -1.5) }
        return 2 / (3 * lambda.squareRoot()) * hubbleTime * asinh((lambda / omegaM).squareRoot() * pow(1 + z, -1.5))
    }

    /// Luminosity distance (1 + z) D_C, Mpc.
    public func luminosityDistance(_ z: Double) -> Double { (1 + z) * comovingDistance(z) }

    /// Refuses unphysical parameters (fields `cosmology.H0`, `cosmology.Om0`).
    public func validate() throws {
        guard h0 > 0, h0.isFinite else {
            throw DigsError.invalidInput(field: "cosmology.H0", problem: "must be a positive number of km/s/Mpc, not \(h0)")
        }
        guard omegaM.isFinite, omegaM >= 0, omegaM <= 1 else {
            throw DigsError.invalidInput(field: "cosmology.Om0", problem: "must be in [0, 1], not \(omegaM)")
        }
    }
}
