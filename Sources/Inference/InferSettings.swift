import DigsCore

/// Settings of `digs infer`.
public struct InferSettings: Settings {
    /// Posterior samples per galaxy.
    public var samples: Int = 1000
    /// Samples per galaxy whose spectra are simulated for the posterior predictive check.
    public var ppcSamples: Int = 50
    /// A galaxy whose predictive χ² has a survival probability below this is flagged
    /// out-of-distribution (flag 1).
    public var ppcPValue: Double = 1e-3
    /// Samples per galaxy weighed by the exact posterior for the importance-sampling check
    /// (`ImportanceWeights`: ESS and Pareto k̂ of w = p(x | θ) p(θ) / q(θ | x)); at most
    /// `samples`; 0 = none.
    public var importanceSamples: Int = 200
    /// Sampling-importance resampling: draw `importanceSamples` (≥ `samples`) from the flow,
    /// weigh them by the exact posterior and keep `samples` of them by systematic resampling, so
    /// the stored posterior is the exact one wherever the weights are reliable (k̂ below its
    /// threshold; flag 8 otherwise). ~7 µs of simulation per draw.
    public var importanceResampling = false
    /// With resampling: where the flow's weights fail k̂, up to this many rounds of adaptive
    /// importance sampling (`AdaptiveImportanceSampler`, `importanceSamples` draws each) started
    /// from them; the first round that passes k̂ gives the stored samples. nil or 0: none (the
    /// flow's own draws are kept, flag 8).
    public var refinementRounds: Int?
    /// Galaxies per chunk (memory is flat in the number of galaxies).
    public var chunk: Int = 128

    public init() {}

    /// These settings with `samples` per galaxy when given (the predictive check then uses at
    /// most that many).
    public func with(samples: Int?) -> InferSettings {
        guard let samples else { return self }
        var s = self
        s.samples = samples
        s.ppcSamples = min(ppcSamples, max(samples, 0))
        return s
    }

    /// Flow draws per galaxy the importance weights are computed for (with resampling, all the
    /// draws the stored samples are chosen from).
    public var importanceDraws: Int { importanceResampling ? importanceSamples : min(importanceSamples, samples) }

    enum CodingKeys: String, CodingKey {
        case samples, ppcSamples = "ppc_samples", ppcPValue = "ppc_pvalue", importanceSamples = "importance_samples"
        case importanceResampling = "importance_resampling", refinementRounds = "refinement_rounds", chunk
    }

    public func validate() throws {
        guard samples >= 1 else { throw DigsError.invalidInput(field: "infer.samples", problem: "must be at least 1 (is \(samples))") }
        guard ppcSamples >= 0 && ppcSamples <= samples else {
            throw DigsError.invalidInput(field: "infer.ppc_samples", problem: "must be between 0 and infer.samples (is \(ppcSamples))")
        }
        guard importanceSamples >= 0 && importanceSamples != 1 else {
            throw DigsError.invalidInput(field: "infer.importance_samples", problem: "must be 0 or at least 2 (is \(importanceSamples))")
        }
        guard !importanceResampling || importanceSamples >= samples else {
            throw DigsError.invalidInput(field: "infer.importance_samples",
                                         problem: "must be at least infer.samples (\(samples)) with importance_resampling (is \(importanceSamples)): the stored samples are chosen from these draws")
        }
        if let refinementRounds {
            guard (0...30).contains(refinementRounds) else {
                throw DigsError.invalidInput(field: "infer.refinement_rounds", problem: "must be 0…30 rounds (is \(refinementRounds))")
            }
            guard importanceResampling || refinementRounds == 0 else {
                throw DigsError.invalidInput(field: "infer.refinement_rounds",
                                             problem: "is \(refinementRounds), but it refines the resampled posterior: set importance_resampling: true, or remove it")
            }
        }
        guard ppcPValue >= 0 && ppcPValue < 1 else { throw DigsError.invalidInput(field: "infer.ppc_pvalue", problem: "must be in [0, 1)") }
        guard chunk >= 1 else { throw DigsError.invalidInput(field: "infer.chunk", problem: "must be at least 1") }
    }
}
