import DigsCore
import Foundation
import SpectralSynthesis

/// The SSP library seen through the instrument: for every (metallicity, age bin) population,
/// its spectrum per solar mass formed averaged exactly over each instrument pixel
/// (`InstrumentResponse`; nebular light of young populations included), ready for one
/// weighted sum per galaxy.
///
/// Dust is applied afterwards per pixel, to first order in the variation of the curve
/// across a pixel's support: with r(λ) the relative attenuation and transmission
/// e^(−q r(λ)), ⟨f e^(−q r)⟩_j ≈ e^(−q r_j) [F₀ − q (F₁ − r_j F₀)] where F₀ = ⟨f⟩_j and
/// F₁ = ⟨f r⟩_j are both precomputed pixel means of the broadened spectrum, r taken where
/// the light lands (`InstrumentResponse.toAttenuatedPixels`); the neglected term is
/// O(q² var(r)), below 1e-4 of the flux for 50 Å pixels.
struct SSPRows {
    /// Rows [Z·A] of 2P columns: F₀ for every pixel, then F₁; L☉ Å⁻¹ per M☉ formed.
    let rows: [Float]
    let metallicities: Int
    let ages: Int
    let pixels: Int
    /// r(λ_j) at each pixel centre.
    let pixelAttenuation: [Double]
    /// Living-mass fraction per (metallicity, age bin), [Z·A].
    let livingMassFraction: [Double]

    init(library: SSPLibrary, response: InstrumentResponse, bins: AgeBins, dust: DustLaw,
         nebular: NebularSettings) throws {
        let p = response.settings.pixels
        let nz = library.metallicity.count, na = bins.count, range = response.sampleRange, n = range.count
        let ageMap = bins.averaging(libraryAges: library.age)
        let young = try nebular.enabled
            ? NebularSpectra(library: library, settings: nebular, response: response, bins: bins) : nil
        var rows = [Float](repeating: 0, count: nz * na * 2 * p)
        var living = [Double](repeating: 0, count: nz * na)
        var f = [Double](repeating: 0, count: n)
        for z in 0..<nz {
            let livingRow = ageMap.apply(Array(library.livingMassFraction.row(z)))
            for k in 0..<na {
                // The bin's SSP: the time-weighted mean of the library SSPs it overlaps.
                for i in 0..<n { f[i] = 0 }
                for e in ageMap.rowStarts[k]..<ageMap.rowStarts[k + 1] {
                    let w = ageMap.weights[e], s = library.spectrum(metallicity: z, age: ageMap.columns[e])
                    let base = s.startIndex + range.lowerBound
                    for i in 0..<n { f[i] += w * Double(s[base + i]) }
                }
                young?.addContinuum(metallicity: z, bin: k, to: &f)
                var f0 = response.toPixels.apply(f)
                var f1 = response.toAttenuatedPixels.apply(f)
                young?.addLines(metallicity: z, bin: k, f0: &f0, f1: &f1)
                let base = (z * na + k) * 2 * p
                for j in 0..<p {
                    rows[base + j] = Float(f0[j])
                    rows[base + p + j] = Float(f1[j])
                }
                living[z * na + k] = livingRow[k]
            }
        }
        self.rows = rows
        self.metallicities = nz
        self.ages = na
        self.pixels = p
        self.livingMassFraction = living
        self.pixelAttenuation = response.settings.pixelCentres.map { dust.relativeAttenuation(wavelength: $0) }
    }
}

/// Nebular light of young populations, per solar mass formed: the Cloudy continuum on the
/// SSP samples the instrument response reads, and the line luminosities, which reach the
/// pixels as exactly integrated Gaussians (`InstrumentResponse.lineWeights`). Both at the
/// chosen log U (linear between the grids' values) and at each age bin's centre (linear in
/// log age between the nebular grid ages, clamped at their ends), times the fraction of the
/// bin younger than the age limit.
struct NebularSpectra {
    let continua: [[Double]]  // [Z·A] on the response's samples; empty where the fraction is 0
    let lines: [[Double]]     // [Z·A] line luminosities, L☉ per M☉ formed
    let ages: Int
    /// Lines → pixel means, and the same weighted by r where their light lands.
    let lineMap: (plain: SparseLinearMap, attenuated: SparseLinearMap)

    init(library: SSPLibrary, settings: NebularSettings, response: InstrumentResponse, bins: AgeBins) throws {
        guard let grids = library.nebular else {
            throw DigsError.invalidInput(field: "model.nebular.enabled",
                                         problem: "is true but the SSP library \(library.source) has no nebular grids")
        }
        guard let u0 = grids.logU.first, let u1 = grids.logU.last, settings.logU >= u0, settings.logU <= u1 else {
            throw DigsError.invalidInput(field: "model.nebular.log_u",
                                         problem: "\(settings.logU) lies outside the grids' range [\(grids.logU.first ?? .nan), \(grids.logU.last ?? .nan)]")
        }
        let (ui, uw) = Interpolation.bracket(grids.logU, settings.logU)
        let logAges = grids.age.map { log10($0) }
        let nz = library.metallicity.count, na = bins.count, nl = grids.lineWavelength.count
        let nw = library.wavelength.count, nt = grids.age.count, range = response.sampleRange
        var continua = [[Double]](repeating: [], count: nz * na), lines = continua
        for k in 0..<na {
            let lo = bins.edges[k], hi = bins.edges[k + 1]
            let fraction = max(0, min(hi, settings.maxAgeYr) - lo) / (hi - lo)
            guard fraction > 0 else { continue }
            let (ai, aw) = Interpolation.bracket(logAges, log10(bins.centres[k]))
            for z in 0..<nz {
                var continuum = [Double](repeating: 0, count: range.count)
                var luminosity = [Double](repeating: 0, count: nl)
                for (u, wu) in [(ui, 1 - uw), (ui + 1, uw)] where wu > 0 {
                    for (t, wt) in [(ai, 1 - aw), (ai + 1, aw)] where wt > 0 {
                        let w = wu * wt * fraction
                        let cBase = ((u * nz + z) * nt + t) * nw + range.lowerBound
                        for i in 0..<range.count { continuum[i] += w * Double(grids.continuum.data[cBase + i]) }
                        let lBase = ((u * nz + z) * nt + t) * nl
                        for i in 0..<nl { luminosity[i] += w * Double(grids.lineLuminosity.data[lBase + i]) }
                    }
                }
                continua[z * na + k] = continuum
                lines[z * na + k] = luminosity
            }
        }
        self.continua = continua
        self.lines = lines
        self.ages = na
        self.lineMap = response.lineWeights(wavelengths: grids.lineWavelength)
    }

    func addContinuum(metallicity z: Int, bin k: Int, to f: inout [Double]) {
        let c = continua[z * ages + k]
        guard !c.isEmpty else { return }
        for i in f.indices { f[i] += c[i] }
    }

    func addLines(metallicity z: Int, bin k: Int, f0: inout [Double], f1: inout [Double]) {
        let l = lines[z * ages + k]
        guard !l.isEmpty else { return }
        let m0 = lineMap.plain.apply(l), m1 = lineMap.attenuated.apply(l)
        for j in f0.indices {
            f0[j] += m0[j]
            f1[j] += m1[j]
        }
    }
}

/// Linear interpolation helpers.
enum Interpolation {
    /// The index i and weight w with x ≈ (1 − w)·grid[i] + w·grid[i+1], clamped to the ends.
    static func bracket(_ grid: [Double], _ x: Double) -> (Int, Double) {
        if x <= grid[0] { return (0, 0) }
        if x >= grid[grid.count - 1] { return (grid.count - 2, 1) }
        var i = 0
        while grid[i + 1] < x { i += 1 }
        return (i, (x - grid[i]) / (grid[i + 1] - grid[i]))
    }
}
