import DigsCore
import Foundation

/// Pixels that the strong gas emission lines can reach, masked as continuum fitters do: the
/// model's nebular emission has one fixed ionisation parameter and gas metallicity, and real
/// galaxies' lines differ from it (pPXF's `determine_mask`, whose line list this is).
///
/// A pixel is masked when its extent [e_j, e_j+1] overlaps λ_line · exp(±v/c) for any line
/// (rest-frame air wavelengths, as the model's grid). Pixel edges are the midpoints between
/// pixel centres, the outer ones half a step beyond the first and last centres. pPXF tests the
/// pixel centre only, which on its fine logarithmic grid is the same thing; on DIGS's 25–50 Å
/// pixels a line at a pixel's edge would otherwise leak into a usable pixel.
///
/// The mask is part of the observation model: training masks these pixels in every pair, and
/// every observation (simulated or real) has them masked before inference and the MCMC.
public struct EmissionLineMask: Codable, Equatable, Sendable {
    /// Half-width of the masked window around each line, km/s (pPXF: 800).
    public var halfWidthKms: Double = 800
    /// Rest-frame air wavelengths of the lines, Å.
    public var lines: [Double] = EmissionLineMask.ppxfLines

    /// pPXF 9.5's list: [O II] 3726, 3729, Hδ, Hγ, Hβ, [O III] 4959, 5007, [O I] 6300,
    /// [N II] 6548, 6583, Hα, [S II] 6716, 6731 (Å, air).
    public static let ppxfLines = [3726.03, 3728.82, 4101.76, 4340.47, 4861.33, 4958.92, 5006.84, 6300.30,
                                   6548.03, 6583.41, 6562.80, 6716.47, 6730.85]

    /// Speed of light, km/s.
    static let c = 299_792.458

    public init(halfWidthKms: Double = 800, lines: [Double] = EmissionLineMask.ppxfLines) {
        (self.halfWidthKms, self.lines) = (halfWidthKms, lines)
    }

    enum CodingKeys: String, CodingKey { case halfWidthKms = "half_width_kms", lines = "lines_angstrom" }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        halfWidthKms = try container.decodeIfPresent(Double.self, forKey: .halfWidthKms) ?? 800
        lines = try container.decodeIfPresent([Double].self, forKey: .lines) ?? Self.ppxfLines
    }

    public func validate() throws {
        guard halfWidthKms > 0, halfWidthKms <= 10_000 else {
            throw DigsError.invalidInput(field: "model.observation.emission_line_mask.half_width_kms", problem: "must be in (0, 10000] km/s (is \(halfWidthKms))")
        }
        guard !lines.isEmpty, lines.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw DigsError.invalidInput(field: "model.observation.emission_line_mask.lines_angstrom", problem: "must list at least one wavelength > 0 Å")
        }
    }

    /// For pixel centres `wavelength` (Å, increasing): true where a line can reach the pixel.
    public func covered(wavelength: [Double]) -> [Bool] {
        let p = wavelength.count
        guard p > 0 else { return [] }
        // Half the first and the last step (one pixel alone: ±0.5 Å) place the outer edges.
        let (firstHalf, lastHalf) = p > 1 ? ((wavelength[1] - wavelength[0]) / 2, (wavelength[p - 1] - wavelength[p - 2]) / 2) : (0.5, 0.5)
        func edge(_ j: Int) -> Double {  // lower edge of pixel j; j = p: the upper edge of the last
            if j == 0 { return wavelength[0] - firstHalf }
            if j == p { return wavelength[p - 1] + lastHalf }
            return (wavelength[j - 1] + wavelength[j]) / 2
        }
        let windows = lines.map { ($0 * exp(-halfWidthKms / Self.c), $0 * exp(halfWidthKms / Self.c)) }
        return (0..<p).map { j in
            let (low, high) = (edge(j), edge(j + 1))
            return windows.contains { $0.0 < high && $0.1 > low }
        }
    }
}
