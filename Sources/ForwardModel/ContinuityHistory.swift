import DigsCore
import Foundation
import SpectralSynthesis

/// The non-parametric "continuity" star-formation history of Leja et al. (2019), as Prospector's
/// `continuity_sfh` template and `logsfr_ratios_to_masses` define it: a constant SFR in each of
/// N lookback-time bins, parameterised by the N − 1 ratios r_i = log10(SFR_i / SFR_{i+1}) of
/// neighbouring bins (i = 1 the youngest), each with a Student-t prior (ν = 2, scale 0.3) that
/// favours smooth histories without forbidding bursts. The mass formed in bin i is
/// m_i ∝ Δt_i · 10^(−Σ_{j<i} r_j); log_mass sets the total, so it still only scales the spectrum.
///
/// The bins are fixed by the pipeline (`bin_edges_gyr`, Gyr of lookback time, starting at 0):
/// by default 0–30 Myr, 30–100 Myr, then five bins log-spaced up to the oldest SSP age (the
/// age of the Universe today). A galaxy whose Universe is younger than the oldest edge cannot
/// have formed stars there: `limitingAge` refuses it (use bins that end at its age).
///
/// The ratios' Student-t prior is truncated to [−10, 10] dex, as bagpipes' users give it (every
/// bagpipes parameter has a range): 0.09 % of the t's mass lies beyond, and the box keeps every
/// flow draw and MCMC walker inside the prior as for the other parameters.
public struct ContinuityHistory: StarFormationHistory, Equatable {
    public static let familyName = "continuity"

    /// Lookback-time bin edges, Gyr: 0 first, increasing, the last at most the oldest SSP age.
    public var binEdgesGyr: [Double]

    enum CodingKeys: String, CodingKey { case binEdgesGyr = "bin_edges_gyr" }

    public init() { binEdgesGyr = Self.defaultEdges(bins: 7, oldestGyr: AgeBins.universeAge / 1e9) }

    public init(binEdgesGyr: [Double]) { self.binEdgesGyr = binEdgesGyr }

    /// A key left out takes its default (the mapping is taken whole from the pipeline file).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        binEdgesGyr = try c.decodeIfPresent([Double].self, forKey: .binEdgesGyr) ?? Self().binEdgesGyr
    }

    /// 0, 30 Myr, 100 Myr, then `bins` − 2 bins log-spaced from 100 Myr to `oldestGyr`.
    public static func defaultEdges(bins: Int, oldestGyr: Double) -> [Double] {
        let lo: Double = -1, hi = log10(oldestGyr), n = bins - 2
        var edges: [Double] = [0, 0.03, 0.1]
        for k in 1..<n { edges.append(pow(10, lo + (hi - lo) * Double(k) / Double(n))) }
        edges.append(oldestGyr)
        return edges
    }

    var bins: Int { binEdgesGyr.count - 1 }

    public func validate(oldestAge: Double) throws {
        let field = "model.sfh.bin_edges_gyr"
        guard binEdgesGyr.count >= 3 else {
            throw DigsError.invalidInput(field: field, problem: "is \(binEdgesGyr) (\(max(binEdgesGyr.count - 1, 0)) bins); expected at least 2 bins (3 edges)")
        }
        guard binEdgesGyr[0] == 0 else {
            throw DigsError.invalidInput(field: field, problem: "starts at \(binEdgesGyr[0]) Gyr; expected 0 (the youngest bin reaches today)")
        }
        if let i = binEdgesGyr.indices.dropFirst().first(where: { !binEdgesGyr[$0].isFinite || !(binEdgesGyr[$0] > binEdgesGyr[$0 - 1]) }) {
            throw DigsError.invalidInput(field: "\(field)[\(i)]", problem: "is \(binEdgesGyr[i]) after \(binEdgesGyr[i - 1]); expected finite edges that increase")
        }
        guard binEdgesGyr.last! * 1e9 <= oldestAge * (1 + 1e-12) else {
            throw DigsError.invalidInput(field: "\(field)[\(bins)]", problem: "is \(binEdgesGyr.last!) Gyr, beyond the oldest SSP age \(oldestAge / 1e9) Gyr")
        }
    }

    public var parameters: [QuantityDescription] {
        (1..<bins).map { i in
            QuantityDescription(name: "logsfr_ratio_\(i)", units: "", fitsName: "LOGSFR_RATIO_\(i)", ucd: "arith.ratio;phys.SFR",
                                meaning: String(format: "log10 of the SFR in %g-%g Gyr over that in %g-%g Gyr (lookback)",
                                                binEdgesGyr[i - 1], binEdgesGyr[i], binEdgesGyr[i], binEdgesGyr[i + 1]))
        }
    }

    /// Student-t, ν = 2, location 0, scale 0.3 (Leja et al. 2019), truncated to [−10, 10].
    public var defaultPriors: [Prior] {
        (1..<bins).map { _ in try! Prior(studentT: 0, scale: 0.3, nu: 2, low: -10, high: 10) }  // valid literal settings
    }

    /// The fraction of the mass formed in each SFH bin (Prospector's bin masses over their sum).
    public var derived: [QuantityDescription] {
        (1...bins).map { i in
            QuantityDescription(name: "sfh_mass_fraction_\(i)", units: "", fitsName: "SFH_MFRAC_\(i)", ucd: "phys.mass;arith.ratio",
                                meaning: String(format: "fraction of the mass formed %g-%g Gyr ago", binEdgesGyr[i - 1], binEdgesGyr[i]))
        }
    }

    public func check(_ prior: PriorSet, oldestAge: Double) throws {
        try requireParameters(of: prior)
    }

    /// m_i / Σ m for the ratios `theta`, in log space (no overflow for any ratios in the box).
    func binMasses(_ theta: [Double]) -> [Double] {
        var logMass = [Double](repeating: 0, count: bins), sum = 0.0
        for i in 0..<bins {
            logMass[i] = log((binEdgesGyr[i + 1] - binEdgesGyr[i]) * 1e9) - M_LN10 * sum
            if i < theta.count { sum += theta[i] }
        }
        let top = logMass.max()!
        let weights = logMass.map { exp($0 - top) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    public func massFractions(_ theta: [Double], edges: [Double], into fractions: inout [Double]) {
        spread(binMasses(theta), over: edges, into: &fractions)
    }

    /// The masses of the SFH bins, each formed at a constant rate, over the age bins `edges`.
    func spread(_ masses: [Double], over edges: [Double], into fractions: inout [Double]) {
        for i in 0..<(edges.count - 1) { fractions[i] = 0 }
        var i = 0
        for k in 0..<bins {
            let (lo, hi) = (binEdgesGyr[k] * 1e9, binEdgesGyr[k + 1] * 1e9)
            let rate = masses[k] / (hi - lo)
            while i + 1 < edges.count && edges[i + 1] <= lo { i += 1 }
            var j = i
            while j + 1 < edges.count && edges[j] < hi {
                let overlap = min(hi, edges[j + 1]) - max(lo, edges[j])
                if overlap > 0 { fractions[j] += rate * overlap }
                j += 1
            }
        }
    }

    /// Column k: the fraction of SFH bin k's mass (formed at a constant rate) in each age bin.
    public func linearBasis(edges: [Double]) -> [[Double]]? {
        (0..<bins).map { k in
            var unit = [Double](repeating: 0, count: bins), column = [Double](repeating: 0, count: edges.count - 1)
            unit[k] = 1
            spread(unit, over: edges, into: &column)
            return column
        }
    }

    /// The bin masses (Σ = 1).
    public func basisWeights(_ theta: [Double]) -> [Double] { binMasses(theta) }

    /// m_k / Δt_k in the bin k holding `lookback` (yr); 0 beyond the oldest edge.
    public func starFormationRate(_ theta: [Double], lookback: Double) -> Double {
        starFormationRates(theta, lookbacks: [lookback])[0]
    }

    /// The bin whose [start, end) holds `lookback` (yr), the oldest edge included; nil outside.
    func bin(holding lookback: Double) -> Int? {
        guard lookback >= 0, lookback <= binEdgesGyr[bins] * 1e9 else { return nil }
        return (0..<bins).first { lookback < binEdgesGyr[$0 + 1] * 1e9 } ?? bins - 1
    }

    /// The mass forms at a constant rate within each bin: walking from the oldest bin, the bin
    /// where the formed fraction passes q holds the answer, linear in time inside it.
    public func lookbackTime(formedFraction q: Double, _ theta: [Double]) -> Double {
        let masses = binMasses(theta)
        var formed = 0.0
        for k in stride(from: bins - 1, through: 0, by: -1) {
            guard formed + masses[k] < q && k > 0 else {
                let (lo, hi) = (binEdgesGyr[k] * 1e9, binEdgesGyr[k + 1] * 1e9)
                return hi - min(max((q - formed) / masses[k], 0), 1) * (hi - lo)
            }
            formed += masses[k]
        }
        return 0
    }

    /// The bin masses once, then each lookback's bin.
    public func starFormationRates(_ theta: [Double], lookbacks: [Double]) -> [Double] {
        let masses = binMasses(theta)
        return lookbacks.map { a in
            guard let k = bin(holding: a) else { return 0 }
            return masses[k] / ((binEdgesGyr[k + 1] - binEdgesGyr[k]) * 1e9)
        }
    }

    public func derivedValues(_ theta: [Double]) -> [Double] { binMasses(theta) }

    /// The bins are the pipeline's: a galaxy whose Universe is younger than the oldest edge is
    /// refused (no history of these bins fits it); the prior is unchanged otherwise.
    public func limitingAge(_ prior: PriorSet, to ageLimit: Double) throws -> PriorSet {
        guard ageLimit < binEdgesGyr.last! else { return prior }
        throw DigsError.invalidInput(field: "age_of_universe",
                                     problem: "is \(ageLimit) Gyr, younger than the oldest continuity bin edge \(binEdgesGyr.last!) Gyr (model.sfh.bin_edges_gyr): fit it with bins that end at or below \(ageLimit) Gyr")
    }

    public func fitsAge(_ theta: ArraySlice<Double>, in prior: PriorSet, ageLimit: Double) -> Bool {
        ageLimit >= binEdgesGyr.last!
    }
}
