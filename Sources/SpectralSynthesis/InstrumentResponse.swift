import DigsCore
import Foundation

/// How a rest-frame spectrum reaches the instrument pixels, computed exactly: the result
/// depends only on the spectrum, σ_v and the pixel edges, never on an internal grid.
///
/// The integral (goals in order: exact to ~1e-9 of the definition, independent of every
/// incidental grid choice, prepared once per SSP library and pixel grid):
///
/// - The spectrum f(λ') is the piecewise-linear interpolant of its samples (λ_k, f_k).
/// - Velocity broadening moves the light emitted at λ' to λ = λ' e^u with u ~ N(0, s²),
///   s = σ_v / c (a Gaussian in velocity; luminosity conserving). The broadened spectrum is
///   B(λ) = ∫ f(λ') φ(ln(λ/λ') / s) / (s λ) dλ'.
/// - Pixel j, with edges e_j < e_{j+1} and width Δ_j, records the mean of B over its edges:
///   F_j = (1/Δ_j) ∫_{e_j}^{e_{j+1}} B(λ) dλ = (1/Δ_j) ∫ f(λ') P_j(λ') dλ',
///   P_j(λ') = Φ(ln(e_{j+1}/λ') / s) − Φ(ln(e_j/λ') / s),
///   the probability that light emitted at λ' lands in pixel j (for s = 0, the indicator of
///   the pixel).
/// - So F = W·f with W_jk = (1/Δ_j) ∫ h_k(λ') P_j(λ') dλ' (h_k the hat function of sample k).
///   W is computed by Gauss–Legendre quadrature (8 nodes) on the sample intervals, split at
///   the pixel edges and into pieces no longer than s·λ'/2, over the support where
///   |ln(λ/λ')| ≤ 8 s (Φ(−8) ≈ 6e-16 is left out).
/// - A line of luminosity L (L☉) at λ₀ adds L · P_j(λ₀) / Δ_j to pixel j: an erf difference,
///   exact (`lineWeights`).
/// - For dust, the same means weighted by the relative attenuation r(λ) where the light
///   lands: F¹_j = (1/Δ_j) ∫_{e_j}^{e_{j+1}} r(λ) B(λ) dλ. With r(λ' e^u) = r + ρ u + ½ ρ₂ u²
///   + O(u³) (ρ, ρ₂ the derivatives in ln λ at λ'), the inner integral over the pixel is
///   closed: with a, b = ln(e_j/λ')/s, ln(e_{j+1}/λ')/s and φ the unit normal density,
///   ∫ r K dλ = r P_j + ρ s [φ(a) − φ(b)] + ½ ρ₂ s² (P_j + a φ(a) − b φ(b)); the neglected
///   terms are O(s⁴ ρ₄) ≈ 1e-11 of r.
public struct InstrumentResponse: Sendable {
    public let settings: InstrumentSettings
    /// The samples of the input spectrum that W reads: indices into the SSP wavelengths.
    public let sampleRange: Range<Int>
    /// Wavelengths of those samples, Å.
    public let sampleWavelength: [Double]
    /// Pixel means of the broadened piecewise-linear spectrum: F = toPixels · f[sampleRange].
    public let toPixels: SparseLinearMap
    /// The same means weighted by the relative attenuation where the light lands:
    /// F¹ = toAttenuatedPixels · f[sampleRange].
    public let toAttenuatedPixels: SparseLinearMap
    /// The relative attenuation r(λ) these weights use.
    public let attenuation: DustLaw

    /// Speed of light, km/s.
    public static let speedOfLight = 299_792.458
    /// Half-width of the broadening kernel's support, in units of s (Φ(−8) ≈ 6e-16).
    public static let supportInSigma = 8.0

    /// - Throws: when the SSP grid does not cover the pixels plus the broadening support.
    public init(settings: InstrumentSettings, sspWavelengths w: [Double], source: String, attenuation: DustLaw = .calzetti) throws {
        try settings.validate()
        let need = settings.requiredCoverage
        guard let first = w.first, let last = w.last, first <= need.lowerBound, last >= need.upperBound else {
            throw DigsError.invalidInput(
                field: "instrument wavelength grid",
                problem: String(format: "pixels with broadening need %.1f–%.1f Å but the SSP library %@ covers %.1f–%.1f Å",
                                need.lowerBound, need.upperBound, source, w.first ?? 0, w.last ?? 0))
        }
        // Samples whose intervals meet the support: from the last sample ≤ need.lowerBound to
        // the first ≥ need.upperBound.
        let lo = (w.lastIndex { $0 <= need.lowerBound })!, hi = (w.firstIndex { $0 >= need.upperBound })!
        let samples = Array(w[lo...hi])
        let s = settings.velocityDispersionKms / Self.speedOfLight
        let edges = settings.pixelEdges
        var rows: [[(Int, Double)]] = [], attenuatedRows = rows
        rows.reserveCapacity(settings.pixels)
        attenuatedRows.reserveCapacity(settings.pixels)
        var firstInterval = 0
        for j in 0..<settings.pixels {
            let (a, b) = (edges[j], edges[j + 1])
            let (supportLow, supportHigh) = (a * exp(-Self.supportInSigma * s), b * exp(Self.supportInSigma * s))
            while firstInterval < samples.count - 2 && samples[firstInterval + 1] <= supportLow { firstInterval += 1 }
            var weights = [Double](repeating: 0, count: samples.count), attenuatedWeights = weights
            var touched = Set<Int>()
            var k = firstInterval
            while k < samples.count - 1 && samples[k] < supportHigh {
                let (x0, x1) = (samples[k], samples[k + 1])
                var cuts = [max(x0, supportLow), min(x1, supportHigh)]
                for e in [a, b] where e > cuts[0] && e < cuts[1] { cuts.insert(e, at: cuts.count - 1) }
                cuts.sort()
                for (p0, p1) in zip(cuts, cuts.dropFirst()) where p1 > p0 {
                    let pieces = s > 0 ? max(1, Int(((p1 - p0) / (0.5 * s * p0)).rounded(.up))) : 1
                    let h = (p1 - p0) / Double(pieces)
                    for piece in 0..<pieces {
                        let left = p0 + Double(piece) * h
                        for (node, weight) in GaussLegendre.eight {
                            let x = left + h * node
                            let (p, r) = Self.landing(emitted: x, low: a, high: b, s: s, attenuation: attenuation)
                            let (value, attenuated) = (weight * h * p / (b - a), weight * h * r / (b - a))
                            let t = (x - x0) / (x1 - x0)
                            weights[k] += (1 - t) * value
                            weights[k + 1] += t * value
                            attenuatedWeights[k] += (1 - t) * attenuated
                            attenuatedWeights[k + 1] += t * attenuated
                        }
                    }
                    touched.insert(k)
                    touched.insert(k + 1)
                }
                k += 1
            }
            let columns = touched.sorted()
            rows.append(columns.map { ($0, weights[$0]) })
            attenuatedRows.append(columns.map { ($0, attenuatedWeights[$0]) })
        }
        self.settings = settings
        self.sampleRange = lo..<(hi + 1)
        self.sampleWavelength = samples
        self.toPixels = SparseLinearMap(inputCount: samples.count, rows: rows)
        self.toAttenuatedPixels = SparseLinearMap(inputCount: samples.count, rows: attenuatedRows)
        self.attenuation = attenuation
    }

    /// For light emitted at `emitted` Å: P_j, the probability that it lands in [low, high],
    /// and ∫ r(λ) K(λ | λ') dλ over [low, high] to first order in r's variation (see above).
    static func landing(emitted x: Double, low: Double, high: Double, s: Double, attenuation: DustLaw) -> (Double, Double) {
        let p = pixelProbability(emitted: x, low: low, high: high, s: s)
        let r = attenuation.relativeAttenuation(wavelength: x)
        guard s > 0 else { return (p, r * p) }
        // ρ = dr/d ln λ and ρ₂ = d²r/d ln λ² by central differences.
        let h = 1e-3
        let (rPlus, rMinus) = (attenuation.relativeAttenuation(wavelength: x * exp(h)),
                               attenuation.relativeAttenuation(wavelength: x * exp(-h)))
        let rho = (rPlus - rMinus) / (2 * h), rho2 = (rPlus - 2 * r + rMinus) / (h * h)
        func phi(_ z: Double) -> Double { exp(-0.5 * z * z) / (2 * Double.pi).squareRoot() }
        let (a, b) = (log(low / x) / s, log(high / x) / s)
        let (phiA, phiB) = (phi(a), phi(b))
        // ∫ u φ_s(u) du = s [φ(a) − φ(b)];  ∫ u² φ_s(u) du = s² ([Φ(b) − Φ(a)] + a φ(a) − b φ(b)).
        let first = s * (phiA - phiB)
        let second = s * s * (p + (a.isFinite ? a * phiA : 0) - (b.isFinite ? b * phiB : 0))
        return (p, r * p + rho * first + 0.5 * rho2 * second)
    }

    /// P_j: the probability that light emitted at `emitted` Å lands between `low` and `high` Å
    /// after broadening by s = σ_v/c (for s = 0: 1 inside [low, high), else 0).
    public static func pixelProbability(emitted x: Double, low: Double, high: Double, s: Double) -> Double {
        guard s > 0 else { return x >= low && x < high ? 1 : 0 }
        // Φ(u_high) − Φ(u_low) as a difference of erfc on the side that avoids cancellation.
        let uLow = log(low / x) / s, uHigh = log(high / x) / s
        if uLow > 0 { return 0.5 * (erfc(uLow / 2.0.squareRoot()) - erfc(uHigh / 2.0.squareRoot())) }
        if uHigh < 0 { return 0.5 * (erfc(-uHigh / 2.0.squareRoot()) - erfc(-uLow / 2.0.squareRoot())) }
        return 1 - 0.5 * (erfc(-uLow / 2.0.squareRoot()) + erfc(uHigh / 2.0.squareRoot()))
    }

    /// The pixel means (L☉ Å⁻¹ per L☉ of line luminosity) of lines at `wavelengths` Å: in
    /// `plain`, row j, column l holds P_j(λ_l) / Δ_j; in `attenuated`, the same weighted by
    /// r where the light lands. Lines beyond the pixels' support add nothing.
    public func lineWeights(wavelengths: [Double]) -> (plain: SparseLinearMap, attenuated: SparseLinearMap) {
        let s = settings.velocityDispersionKms / Self.speedOfLight
        let edges = settings.pixelEdges
        var plain: [[(Int, Double)]] = [], attenuated = plain
        for j in 0..<settings.pixels {
            var row: [(Int, Double)] = [], attenuatedRow = row
            for (l, λ) in wavelengths.enumerated() {
                let (p, r) = Self.landing(emitted: λ, low: edges[j], high: edges[j + 1], s: s, attenuation: attenuation)
                guard p > 0 else { continue }
                row.append((l, p / (edges[j + 1] - edges[j])))
                attenuatedRow.append((l, r / (edges[j + 1] - edges[j])))
            }
            plain.append(row)
            attenuated.append(attenuatedRow)
        }
        return (SparseLinearMap(inputCount: wavelengths.count, rows: plain),
                SparseLinearMap(inputCount: wavelengths.count, rows: attenuated))
    }
}

/// Gauss–Legendre quadrature rules on [0, 1]: (node, weight) pairs.
enum GaussLegendre {
    /// The 8-point rule (exact for polynomials of degree ≤ 15).
    static let eight: [(Double, Double)] = {
        let x = [0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363]
        let w = [0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763]
        var rule: [(Double, Double)] = []
        for (xi, wi) in zip(x, w) {
            rule.append(((1 - xi) / 2, wi / 2))
            rule.append(((1 + xi) / 2, wi / 2))
        }
        return rule.sorted { $0.0 < $1.0 }
    }()
}
