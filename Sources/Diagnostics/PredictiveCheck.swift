import DigsCore

/// The posterior predictive check of one galaxy (Gelman, Meng & Stern 1996): the model spectra
/// f(θ_k) of M posterior draws against the observed spectrum.
///
/// - Per pixel: the median and the 16th/84th percentiles of the M model spectra, and the
///   residual x − median (NaN at masked pixels).
/// - χ² of the median model over the usable pixels, and dof = their number.
/// - The predictive p-value of the discrepancy χ²(x, θ): P(χ²(x_rep, θ) ≥ χ²(x, θ)) averaged over
///   the draws. Given θ, χ²(x_rep, θ) follows χ² with dof degrees of freedom exactly under the
///   Gaussian noise model, so p = mean_k Q(dof/2, χ²(x, θ_k)/2).
public struct PredictiveCheck: Sendable, Equatable {
    /// Median, 16th and 84th percentile model spectra, log10 L_λ.
    public var median: [Float], p16: [Float], p84: [Float]
    /// Observed minus predictive median, dex (NaN at masked pixels).
    public var residual: [Float]
    public var chi2: Double
    public var dof: Int
    public var pValue: Double

    /// `spectra`: the M model spectra, row-major [M × P] (M ≥ 1). `discrepancies`: each draw's
    /// χ²(x, θ_k) under an observation model with more than the noise (a calibration polynomial
    /// marginalised: χ² against the covariance Σ + s²AAᵀ, again χ² with dof degrees of freedom
    /// given θ); nil: the plain χ² of each model spectrum.
    public init(observation: NoisySpectrum, spectra: [Float], draws m: Int, discrepancies: [Double]? = nil) {
        let p = observation.pixels
        precondition(m >= 1 && spectra.count == m * p, "need M ≥ 1 model spectra of \(p) pixels")
        median = [Float](repeating: .nan, count: p)
        p16 = median
        p84 = median
        residual = median
        var column = [Double](repeating: 0, count: m)
        chi2 = 0
        for j in 0..<p {
            for k in 0..<m { column[k] = Double(spectra[k * p + j]) }
            column.sort()
            let middle = SampleSummary.percentile(sorted: column, 50)
            median[j] = Float(middle)
            p16[j] = Float(SampleSummary.percentile(sorted: column, 16))
            p84[j] = Float(SampleSummary.percentile(sorted: column, 84))
            // Masked pixels carry no data: no residual, not in χ².
            guard observation.mask[j] == 1 else { continue }
            let observed = Double(observation.logFlux[j]), sd = Double(observation.sigma[j])
            residual[j] = Float(observed - middle)
            chi2 += (observed - middle) * (observed - middle) / (sd * sd)
        }
        dof = observation.usable.count
        let k = Double(dof) / 2
        precondition(discrepancies == nil || discrepancies!.count == m, "one discrepancy per draw")
        pValue = (0..<m).reduce(0) {
            $0 + SpecialFunctions.regularizedGammaQ(k, (discrepancies?[$1] ?? observation.chiSquare(model: spectra[($1 * p)..<(($1 + 1) * p)])) / 2)
        } / Double(m)
    }
}

/// Quality flags of a galaxy's posterior (the `flags` dataset and the catalog's FLAG column).
public struct PosteriorFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The predictive χ² is implausible for the noise model: out of distribution.
    public static let outOfDistribution = PosteriorFlags(rawValue: 1)
    /// NaN/infinite flux, non-positive σ or masked pixels the flow cannot use: skipped.
    public static let invalidInput = PosteriorFlags(rawValue: 2)
    /// A posterior median lies within 1 % of the prior width of a prior edge.
    public static let medianAtPriorEdge = PosteriorFlags(rawValue: 4)
    /// The importance weights of the flow's samples against the exact posterior fail the
    /// Pareto-k̂ check (`ImportanceWeights.isReliable`): the flow misrepresents this posterior.
    public static let unreliableFlow = PosteriorFlags(rawValue: 8)

    /// Catalog rows only: the object could not be ingested (its reason in the catalog's
    /// PROBLEM column), so it has no posterior.
    public static let notIngested = PosteriorFlags(rawValue: 16)

    /// Every flag a posterior can carry, in bit order.
    public static let all: [PosteriorFlags] = [.outOfDistribution, .invalidInput, .medianAtPriorEdge, .unreliableFlow]
}

extension PosteriorFlags {
    /// The parameters whose posterior median lies within 1 % of the prior width of a prior edge
    /// (flag 4), each with whether it is the lower edge.
    public static func priorEdges(p50: [Double], low: [Double], high: [Double]) -> [(parameter: Int, lower: Bool)] {
        p50.indices.compactMap { j in
            let margin = 0.01 * (high[j] - low[j])
            if p50[j] < low[j] + margin { return (j, true) }
            if p50[j] > high[j] - margin { return (j, false) }
            return nil
        }
    }

    /// A posterior's flags in words, for the catalog's PROBLEM column ("" when it has none):
    /// which parameter sits at which prior edge, the predictive check's χ²/dof and p, the
    /// importance-sampling k̂. `p50`, `low`, `high`: median and prior box per parameter.
    public func describe(names: [String], p50: [Double], low: [Double], high: [Double],
                         chi2: Double = .nan, dof: Int = 0, pValue: Double = .nan, paretoK: Double = .nan) -> String {
        var parts = [String]()
        if contains(.invalidInput) { parts.append("refused by the flow (digs infer's log says why)") }
        if contains(.medianAtPriorEdge) {
            for (j, lower) in Self.priorEdges(p50: p50, low: low, high: high) {
                parts.append(String(format: "%@ median %.3g at the prior's %@ edge %.3g: the prior cuts the posterior",
                                    names[j], p50[j], lower ? "lower" : "upper", lower ? low[j] : high[j]))
            }
        }
        if contains(.outOfDistribution) {
            parts.append(String(format: "predictive check fails: chi2/dof %.2f, p %.2g", chi2 / Double(max(dof, 1)), pValue))
        }
        if contains(.unreliableFlow) { parts.append(String(format: "flow unreliable here: Pareto k %.2f", paretoK)) }
        return parts.joined(separator: "; ")
    }
}
