import Foundation

/// Dust attenuation of the diffuse ISM, parametrised by dust2, the optical depth at 5500 Å:
/// A_λ = 1.086 · dust2 · k(λ)/k(5500 Å) in magnitudes (the paper's convention with
/// k(5500) taken as R_V = 4.05 for Calzetti), transmission 10^(−0.4 A_λ).
public enum DustLaw: Codable, Equatable, Sendable {
    /// Calzetti et al. (2000, ApJ 533, 682), eq. 4, R_V = 4.05.
    case calzetti
    /// A power law in wavelength, A_λ ∝ (λ/5500 Å)^index (Charlot & Fall 2000 style; index −0.7).
    case powerLaw(index: Double)

    /// 1.086 = 2.5 log10(e) rounded as in the paper: mag per unit optical depth.
    public static let magnitudesPerOpticalDepth = 1.086

    /// −ln(transmission) per unit dust2 and unit relative attenuation: 0.4·1.086·ln 10.
    public static let extinctionPerDust2 = 0.4 * magnitudesPerOpticalDepth * log(10.0)

    /// A_λ / (1.086 · dust2): the curve normalised at 5500 Å (k(λ)/4.05 for Calzetti).
    public func relativeAttenuation(wavelength λ: Double) -> Double {
        switch self {
        case .calzetti:
            return Self.calzettiK(micron: λ / 1e4) / 4.05
        case let .powerLaw(index):
            return pow(λ / 5500, index)
        }
    }

    /// Transmission 10^(−0.4 · 1.086 · dust2 · relativeAttenuation(λ)) at each wavelength.
    public func transmission(wavelengths: [Double], dust2: Double) -> [Double] {
        let c = -Self.extinctionPerDust2 * dust2
        return wavelengths.map { exp(c * relativeAttenuation(wavelength: $0)) }
    }

    /// Calzetti et al. (2000) k(λ), λ in µm: the UV–optical branch for 0.12 ≤ λ < 0.63 µm,
    /// the red branch for 0.63 ≤ λ ≤ 2.2 µm, each extended linearly in 1/λ beyond its range
    /// (as in the common implementations; DIGS only uses 0.09–2.5 µm).
    public static func calzettiK(micron λ: Double) -> Double {
        let rv = 4.05
        if λ >= 0.63 {
            return 2.659 * (-1.857 + 1.040 / λ) + rv
        }
        if λ >= 0.12 {
            return 2.659 * (-2.156 + 1.509 / λ - 0.198 / (λ * λ) + 0.011 / (λ * λ * λ)) + rv
        }
        // Below 0.12 µm: continue the UV branch along its tangent in 1/λ at 0.12 µm.
        let x0 = 1 / 0.12
        let k0 = 2.659 * (-2.156 + 1.509 * x0 - 0.198 * x0 * x0 + 0.011 * x0 * x0 * x0) + rv
        let slope = 2.659 * (1.509 - 2 * 0.198 * x0 + 3 * 0.011 * x0 * x0)
        return k0 + slope * (1 / λ - x0)
    }

    enum CodingKeys: String, CodingKey { case law, index }

    /// The key that names the variant in a pipeline file (`SettingsTree`).
    public static let variantKey = CodingKeys.law.stringValue

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .law) {
        case "calzetti": self = .calzetti
        case "power_law": self = .powerLaw(index: try c.decodeIfPresent(Double.self, forKey: .index) ?? -0.7)
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .law, in: c,
                                                   debugDescription: "unknown dust law '\(other)' (expected calzetti or power_law)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .calzetti: try c.encode("calzetti", forKey: .law)
        case let .powerLaw(index):
            try c.encode("power_law", forKey: .law)
            try c.encode(index, forKey: .index)
        }
    }
}
