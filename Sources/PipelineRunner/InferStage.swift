import DigsCore
import Diagnostics
import ForwardModel
import Foundation
import MCMC
import NeuralFlows
import ProductIO
import SpectralSynthesis

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

/// `digs infer`: posterior samples for every observation (an `observation_set`, or a `sed_set`
/// turned into observations) → `posterior_samples`, with summaries, derived quantities of every
/// sample, the posterior predictive check and quality flags. Galaxy g draws from stream
/// (`.posteriorSampling`, g): results do not depend on threads or chunking.
public enum InferStage {
    public static func run(reads: StageReads.Infer, flowPath: String,
                           observationsPath: String, sspPath: String, output: String, overwrite: Bool,
                           threads: Int, shard: Shard = .whole, allowUnfinished: Bool = false,
                           log: (String) -> Void) throws {
        if FileManager.default.fileExists(atPath: output) && !overwrite { throw DigsError.alreadyExists(path: output) }
        let (settings, model, noise, nuisances, seed) = (reads.infer, reads.model, reads.observation.noise, reads.observation.nuisances, reads.seed)
        try settings.validate()
        let flow = try FlowModelFile.read(path: flowPath)
        if let state = flow.state, !state.finished {
            let problem = "training did not finish (stopped after epoch \(state.trainLoss.count), best at epoch \(state.bestEpoch)): resume it with `digs train --resume`"
            guard allowUnfinished else {
                throw DigsError.invalidProduct(path: flowPath, field: "root attribute 'training_finished'", problem: problem + ", or pass --allow-unfinished to use it as it is")
            }
            log("warning: \(flowPath): \(problem); used as it is (--allow-unfinished)")
        }
        let posterior = flow.posterior
        let source = try ObservationSource(path: observationsPath, observation: reads.observation, seed: seed)
        try source.requireGrid(of: model)
        try checkCompatible(flow: flow, flowPath: flowPath, source: source, model: model)
        // The flow, the observations and this build's simulator (derived quantities, the
        // predictive check) must share one forward model.
        try ForwardModelVersionRecord.require(flow.product, matches: ForwardModelVersion.current, of: "this build of DIGS")
        if try source.modelVersion != nil {
            try ForwardModelVersionRecord.require(source.product, matches: ForwardModelVersion.current, of: "the flow \(flowPath)")
        }
        let sspProduct = try Product.open(sspPath, expecting: .sspLibrary)
        log("preparing the forward model for derived quantities and the predictive check")
        let simulator = try SpectrumSimulator(library: try SSPLibrary(product: sspProduct), settings: model)
        let slice = shard.rows(of: source.count)
        // Every parameter of the pipeline, log_mass too where the flow leaves it to its exact conditional.
        let analyticMass = flow.analyticParameter != nil
        let (names, units) = analyticMass ? (model.parameters.names, model.parameters.units) : (posterior.parameterNames, flow.parameterUnits)
        let (n, p, d, s) = (slice.upperBound, source.pixels, names.count, settings.samples)
        let derivedQuantities = ParameterVocabulary.delayedTau.posteriorDerived
        let derivedNames = derivedQuantities.map(\.name), derivedUnits = derivedQuantities.map(\.units)
        let q = derivedNames.count

        var inputs = [flow.product.asInput(role: "flow_model"), source.product.asInput(role: "observations"),
                      sspProduct.asInput(role: "ssp_library")]
        inputs.sort { $0.role < $1.role }
        let writer = try ProductWriter(path: output, kind: .posteriorSamples, seed: seed, config: StageReads.json(reads),
                                       inputs: inputs, overwrite: overwrite)
        try source.allIDs.subset(Array(slice)).write(to: writer)
        try shard.record(in: writer, rows: slice, total: source.count)
        try writer.write("wavelength", NDArray(shape: [p], data: source.wavelength), axes: ["pixel"], units: "Angstrom",
                         description: "rest-frame pixel wavelengths")
        func parameterSet(_ name: String, _ shape: [Int], _ axes: [String], _ description: String, dtype: HDF5DType = .float64,
                          names: [String] = names, units: [String] = units) throws -> HDF5Dataset {
            try writer.createParameterDataset(name, dtype: dtype, shape: shape, axes: axes, parameterNames: names,
                                              parameterUnits: units, description: description, extendable: true)
        }
        func set(_ name: String, _ dtype: HDF5DType, _ shape: [Int], _ axes: [String], _ units: String,
                 _ description: String) throws -> HDF5Dataset {
            try writer.createDataset(name, dtype: dtype, shape: shape, axes: axes, units: units, description: description,
                                     extendable: true)
        }
        let samplesSet = try parameterSet("samples", [0, s, d], ["galaxy", "sample", "parameter"], "posterior samples", dtype: .float32)
        let logProbSet = try set("log_prob", .float32, [0, s], ["galaxy", "sample"], "", "flow log-density of each sample")
        let percentileSet = try parameterSet("percentiles", [0, 3, d], ["galaxy", "quantile", "parameter"], "16th, 50th and 84th percentiles")
        let meanSet = try parameterSet("mean", [0, d], ["galaxy", "parameter"], "posterior mean")
        let stdSet = try parameterSet("std", [0, d], ["galaxy", "parameter"], "posterior standard deviation")
        let mapSet = try parameterSet("map", [0, d], ["galaxy", "parameter"], "highest-density sample")
        let truthSets = try source.parameterNames.map { _ in
            (try parameterSet("theta_true", [0, d], ["galaxy", "parameter"], "true parameters"),
             try set("log_prob_true", .float64, [0], ["galaxy"], "", "flow log-density of the true parameters"))
        }
        let flagSet = try set("flags", .uint8, [0], ["galaxy"], "",
                              "bit mask: 1 out-of-distribution (predictive check), 2 invalid input (skipped), 4 median at a prior edge, 8 unreliable flow (importance weights fail the Pareto-k check)")
        let observedSet = try set("observed/log_flux", .float32, [0, p], ["galaxy", "pixel"], "log(solLum/Angstrom)",
                                  "the observed spectrum the posterior conditions on")
        let observedSigmaSet = try set("observed/log_flux_sigma", .float32, [0, p], ["galaxy", "pixel"], "dex", "its 1-sigma uncertainty")
        let derivedSamplesSet = try parameterSet("derived/samples", [0, s, q], ["galaxy", "sample", "derived"],
                                                 "derived quantities of each posterior sample", dtype: .float32,
                                                 names: derivedNames, units: derivedUnits)
        try derivedSamplesSet.setAttribute("derived_names", .strings(derivedNames))
        let derivedPercentileSet = try parameterSet("derived/percentiles", [0, 3, q], ["galaxy", "quantile", "derived"],
                                                    "16th, 50th and 84th percentiles of the derived quantities",
                                                    names: derivedNames, units: derivedUnits)
        let derivedMeanSet = try parameterSet("derived/mean", [0, q], ["galaxy", "derived"], "posterior mean of the derived quantities",
                                              names: derivedNames, units: derivedUnits)
        let derivedStdSet = try parameterSet("derived/std", [0, q], ["galaxy", "derived"],
                                             "posterior standard deviation of the derived quantities", names: derivedNames, units: derivedUnits)
        let derivedMapSet = try parameterSet("derived/map", [0, q], ["galaxy", "derived"],
                                             "derived quantities of the highest-density sample", names: derivedNames, units: derivedUnits)
        let ppcSets = try [("median", "median of the noiseless model spectra of the predictive samples"),
                           ("p16", "16th percentile of the predictive model spectra"),
                           ("p84", "84th percentile of the predictive model spectra")].map {
            try set("ppc/" + $0.0, .float32, [0, p], ["galaxy", "pixel"], "log(solLum/Angstrom)", $0.1)
        }
        let residualSet = try set("ppc/residual", .float32, [0, p], ["galaxy", "pixel"], "dex", "observed minus predictive median")
        let chi2Set = try set("ppc/chi2", .float64, [0], ["galaxy"], "", "sum over usable pixels of (residual / sigma)^2 for the predictive median")
        let dofSet = try set("ppc/dof", .int32, [0], ["galaxy"], "", "usable pixels in chi2")
        let w = settings.importanceDraws
        let importanceSets = w == 0 ? nil : (
            logWeight: try set("importance/log_weight", .float32, [0, w], ["galaxy", "importance_sample"], "",
                               "log importance weight of each of the first importance_samples samples: log p(x|theta) + log p(theta) - log q(theta|x), up to a constant per galaxy"),
            ess: try set("importance/ess_fraction", .float64, [0], ["galaxy"], "",
                         "effective sample size of the self-normalised importance weights over the number of weighted samples"),
            paretoK: try set("importance/pareto_k", .float64, [0], ["galaxy"], "",
                             "Pareto-smoothed importance sampling diagnostic k-hat of the weights (Vehtari et al. 2024)"),
            best: try parameterSet("importance/best", [0, d], ["galaxy", "parameter"],
                                   "the most probable position evaluated (importance draws and refinement rounds): the best fit"),
            bestLogProb: try set("importance/best_log_prob", .float64, [0], ["galaxy"], "",
                                 "its log p(x|theta) + log p(theta), up to the likelihood's constant (the MCMC's log_prob scale)"))
        let refinementSet = (settings.refinementRounds ?? 0) == 0 ? nil
            : try set("importance/refinement_rounds", .int32, [0], ["galaxy"], "",
                      "rounds of adaptive importance sampling after which the stored samples passed k-hat: 0 none needed (the flow's weights passed), -1 none passed (the flow's own draws are stored, flag 8)")
        let pvalueSet = try set("ppc/pvalue", .float64, [0], ["galaxy"], "",
                                "posterior predictive p-value: mean over the predictive samples of the chi-square survival probability of sum((observed - model)/sigma)^2 with dof degrees of freedom")
        try writer.file.setAttribute("parameter_names", .strings(names))
        try writer.file.setAttribute("samples_per_galaxy", .int(Int64(s)))
        try writer.file.setAttribute("ppc_samples", .int(Int64(settings.ppcSamples)))
        try writer.file.setAttribute("importance_samples", .int(Int64(settings.importanceDraws)))
        if settings.importanceResampling { try writer.file.setAttribute("importance_resampling", .int(1)) }
        if settings.importanceDraws > 0 {
            try writer.file.setAttribute("pareto_k_threshold", .double(ImportanceWeights.paretoKThreshold(draws: settings.importanceDraws)))
        }
        try writer.file.setAttribute("ppc_pvalue_threshold", .double(settings.ppcPValue))
        try writer.file.setAttribute("prior_low", .doubles(model.parameters.entries.map(\.prior.low)))
        try writer.file.setAttribute("prior_high", .doubles(model.parameters.entries.map(\.prior.high)))
        if analyticMass { try writer.file.setAttribute("analytic_mass", .int(1)) }
        try ForwardModelVersionRecord.write(ForwardModelVersion.current, to: writer)

        let streams = RandomStreams(seed: seed)
        // A flow that sees x alone assumes the noise it was trained with (the pipeline's).
        let trainedSigma: [Double]? = posterior.contextLayout == .flux && !noise.isHeteroscedastic ? noise.sigmaDex(pixels: p) : nil
        let clock = ContinuousClock()
        let began = clock.now
        var start = slice.lowerBound, flagged = [PosteriorFlags: Int](), refused = 0, firstRefusal: String?
        while start < n {
            let chunk = try source.read(start..<min(n, start + settings.chunk))
            var results = [GalaxyPosterior?](repeating: nil, count: chunk.count)
            results.withUnsafeMutableBufferPointer { buffer in
                let out = DisjointWrites(buffer)
                parallelChunks(chunk.count, workers: threads) { _, i in
                    var g = streams.generator(.posteriorSampling, index: UInt64(chunk.first + i))
                    out[i] = GalaxyPosterior(chunk: chunk, row: i, pixels: p, posterior: posterior, analyticMass: analyticMass,
                                             trainedSigma: trainedSigma,
                                             simulator: simulator, prior: model.parameters, fluxCalibration: nuisances.fluxCalibration,
                                             settings: settings, generator: &g)
                }
            }
            let r = results.map { $0! }, c = chunk.count
            func rows<T: HDF5Element>(_ shape: [Int], _ values: (GalaxyPosterior) -> [T]) throws -> NDArray<T> {
                try NDArray(shape: [c] + shape, data: r.flatMap(values))
            }
            try samplesSet.append(rows([s, d]) { $0.samples.map(Float.init) })
            try logProbSet.append(rows([s]) { $0.logProb.map(Float.init) })
            try percentileSet.append(rows([3, d]) { $0.summary.map { $0.p16 + $0.p50 + $0.p84 } ?? .nans(3 * d) })
            try meanSet.append(rows([d]) { $0.summary?.mean ?? .nans(d) })
            try stdSet.append(rows([d]) { $0.summary?.std ?? .nans(d) })
            try mapSet.append(rows([d]) { $0.summary?.map ?? .nans(d) })
            if let (theta, logProb) = truthSets {
                try theta.append(NDArray(shape: [c, d], data: chunk.thetaTrue!))
                try logProb.append(rows([]) { [$0.truthLogProb] })
            }
            try flagSet.append(rows([]) { [$0.flags.rawValue] })
            try observedSet.append(NDArray(shape: [c, p], data: chunk.logFlux))
            try observedSigmaSet.append(NDArray(shape: [c, p], data: chunk.sigma))
            try derivedSamplesSet.append(rows([s, q]) { $0.derivedSamples.map(Float.init) })
            try derivedPercentileSet.append(rows([3, q]) { $0.derived.map { $0.p16 + $0.p50 + $0.p84 } ?? .nans(3 * q) })
            try derivedMeanSet.append(rows([q]) { $0.derived?.mean ?? .nans(q) })
            try derivedStdSet.append(rows([q]) { $0.derived?.std ?? .nans(q) })
            try derivedMapSet.append(rows([q]) { $0.derived?.map ?? .nans(q) })
            for (k, dataset) in ppcSets.enumerated() { try dataset.append(rows([p]) { $0.predictive[k] }) }
            try residualSet.append(rows([p]) { $0.residual })
            try chi2Set.append(rows([]) { [$0.chi2] })
            try dofSet.append(rows([]) { [Int32($0.dof)] })
            try pvalueSet.append(rows([]) { [$0.pValue] })
            if let importanceSets {
                try importanceSets.logWeight.append(rows([w]) { $0.logWeights.map(Float.init) })
                try importanceSets.ess.append(rows([]) { [$0.importance?.essFraction ?? .nan] })
                try importanceSets.paretoK.append(rows([]) { [$0.importance?.paretoK ?? .nan] })
                try importanceSets.best.append(rows([d]) { $0.best.isEmpty ? .nans(d) : $0.best })
                try importanceSets.bestLogProb.append(rows([]) { [$0.best.isEmpty ? .nan : $0.bestLogProb] })
            }
            if let refinementSet { try refinementSet.append(rows([]) { [Int32($0.refinementRounds)] }) }
            for g in r { for flag in PosteriorFlags.all where g.flags.contains(flag) { flagged[flag, default: 0] += 1 } }
            for (k, g) in r.enumerated() {
                guard let reason = g.refusal else { continue }
                refused += 1
                if refused <= 10 { log("refused observation \(source.allIDs.text(at: chunk.first + k)): \(reason)") }
                firstRefusal = firstRefusal ?? reason
            }
            start += c
            let seconds = (clock.now - began).seconds
            let done = start - slice.lowerBound
            log(String(format: "inferred %d/%d galaxies (%.1f ms per galaxy, %d samples each)", done, slice.count,
                       1000 * seconds / Double(done), s))
        }
        if refused > 0 && refused == slice.count {
            throw DigsError.invalidProduct(path: observationsPath, field: "log_flux/log_flux_sigma/mask",
                                           problem: "no observation can be used with the flow \(flowPath): \(firstRefusal ?? "")")
        }
        if refused > 10 { log("… \(refused) observations refused in all (flag 2)") }
        try writer.file.setAttribute("milliseconds_per_galaxy", .double(1000 * (clock.now - began).seconds / Double(max(slice.count, 1))))
        try writer.file.setAttribute("threads", .int(Int64(threads)))
        try writer.commit()
        log("flags: \(flagged[.outOfDistribution] ?? 0) out-of-distribution, \(flagged[.invalidInput] ?? 0) invalid input, \(flagged[.medianAtPriorEdge] ?? 0) with a median at a prior edge, \(flagged[.unreliableFlow] ?? 0) with an unreliable flow (Pareto k̂)")
    }

    /// Refuses observations the flow was not trained for (another pixel grid, other parameters),
    /// and a flow trained on another prior box than the pipeline's.
    static func checkCompatible(flow: FlowModelFile.Loaded, flowPath: String, source: ObservationSource,
                                model: ModelSettings) throws {
        let trained = flow.wavelength, observed = source.wavelength
        let sameGrid = trained.count == observed.count
            && zip(trained, observed).allSatisfy { abs($0 - $1) <= 1e-6 * $0 }
        guard sameGrid else {
            func describe(_ w: [Double]) -> String {
                w.isEmpty ? "no pixels" : String(format: "%d pixels, %.1f–%.1f Å", w.count, w.first!, w.last!)
            }
            throw DigsError.invalidProduct(path: source.path, field: "wavelength",
                                           problem: "has \(describe(observed)); the flow \(flowPath) was trained on \(describe(trained)) — resample the observations onto the flow's grid or train a flow for theirs")
        }
        // A flow that leaves log_mass to its exact conditional learns the others: the pipeline's
        // parameters but that one (whose prior must be uniform), in their order.
        let pipeline = model.parameters
        if let analytic = flow.analyticParameter {
            guard analytic == ModelParameter.logMass.rawValue else {
                throw DigsError.invalidProduct(path: flowPath, field: "root attribute '\(FlowModelFile.analyticParameterAttribute)'",
                                               problem: "is '\(analytic)'; this build of DIGS draws only log_mass analytically")
            }
            guard pipeline.entries[pipeline.index(of: .logMass)].prior.distribution == .uniform else {
                throw DigsError.invalidInput(field: "model.parameters (log_mass)",
                                             problem: "the flow \(flowPath) leaves log_mass to its exact conditional, which needs a uniform log_mass prior in the pipeline")
            }
        }
        let names = model.parameters.names
        if let truth = source.parameterNames, truth != names {
            throw DigsError.invalidProduct(path: source.path, field: "theta_true parameter_names",
                                           problem: "are \(truth); the pipeline infers \(names)")
        }
        try pipeline.requireSameBox(names: flow.posterior.parameterNames, low: flow.posterior.priorLow, high: flow.posterior.priorHigh,
                                    of: "the flow \(flowPath)", excluding: flow.analyticParameter == nil ? nil : .logMass)
    }
}

extension Array where Element: FloatingPoint {
    static func nans(_ n: Int) -> [Element] { [Element](repeating: .nan, count: n) }
}

/// The posterior of one galaxy: samples, summaries, derived quantities, predictive check, flags
/// (the science is in `ContextLayout.refusal`, the `PosteriorFlow`, `SampleSummary` and
/// `PredictiveCheck`; this gathers it for one row of the product).
struct GalaxyPosterior {
    var samples: [Double], logProb: [Double]
    var summary: SampleSummary?
    var derivedSamples: [Double]
    var derived: SampleSummary?
    /// Predictive median, 16th and 84th percentile spectra.
    var predictive: [[Float]]
    var residual: [Float]
    var chi2 = Double.nan, dof = 0, pValue = Double.nan
    var truthLogProb = Double.nan
    /// log w = log p(x | θ) + log p(θ) − log q(θ | x) (+ const) of the first importanceDraws samples.
    var logWeights: [Double] = []
    var importance: ImportanceWeights?
    /// Adaptive importance-sampling rounds that made the stored samples pass k̂ (0: none were
    /// needed; −1: none passed).
    var refinementRounds = 0
    /// The most probable position evaluated (importance draws and refinement rounds) and its
    /// log p(x | θ) + log p(θ) (+ the likelihood's constant): the best fit, and a candidate for
    /// the MCMC's screened start.
    var best: [Double] = [], bestLogProb = -Double.infinity
    var flags: PosteriorFlags = []
    /// Why the flow cannot take this observation (flag 2), in words.
    var refusal: String?

    /// `count` draws of q(θ | x) with t_age ≤ `ageLimit` (Gyr), by rejection in rounds of
    /// `count`; log q renormalised to that region by the accepted fraction; their model spectra
    /// when drawing simulated them. nil when fewer than `count` pass in 100 rounds (q puts < 1 %
    /// of its mass there).
    static func draw(_ posterior: any ObservationPosterior, count: Int, ageLimit: Double, tAge: Int,
                     generator g: inout Xoshiro256StarStar) -> (theta: [Double], logProb: [Double], spectra: [Float]?, logShift: Double)? {
        let d = posterior.low.count
        let first = posterior.sample(count: count, generator: &g)
        guard ageLimit < posterior.high[tAge] else { return (first.theta, first.logProb, first.spectra, 0) }
        let p = (first.spectra?.count ?? 0) / max(count, 1)
        var theta = [Double](), logProb = [Double](), spectra = [Float](), drawn = 0, passed = 0
        var round = first
        while true {
            drawn += count
            for k in 0..<count where round.theta[k * d + tAge] <= ageLimit {
                passed += 1
                guard logProb.count < count else { continue }
                theta += round.theta[(k * d)..<((k + 1) * d)]
                logProb.append(round.logProb[k])
                if let s = round.spectra { spectra += s[(k * p)..<((k + 1) * p)] }
            }
            if logProb.count == count { break }
            guard drawn < 100 * count else { return nil }
            round = posterior.sample(count: count, generator: &g)
        }
        // q restricted to t_age ≤ limit: q / P(t_age ≤ limit), P estimated by the passing fraction.
        let shift = log(Double(drawn) / Double(passed))
        return (theta, logProb.map { $0 + shift }, first.spectra == nil ? nil : spectra, shift)
    }

    /// The importance weights of `count` flow draws (their spectra simulated) against the exact
    /// posterior: stored with their ESS and k̂, flag 8 where k̂ fails.
    @discardableResult
    mutating func weigh(_ exact: SpectrumPosterior, theta: [Double], logProb: [Double], spectra: [Float], count: Int) -> ImportanceWeights {
        let logTarget = exact.logDensity(theta, count: count, spectra: spectra)
        Self.keepBest(theta, logTarget, in: &best, &bestLogProb)
        logWeights = zip(logTarget, logProb).map { $0 - $1 }
        let weights = ImportanceWeights(logWeights: logWeights)
        importance = weights
        if !weights.isReliable { flags.insert(.unreliableFlow) }
        return weights
    }

    /// Keeps the row of `theta` with the highest finite `logTarget` in (best, bestLogProb) when it is higher.
    static func keepBest(_ theta: [Double], _ logTarget: [Double], in best: inout [Double], _ bestLogProb: inout Double) {
        let d = logTarget.isEmpty ? 0 : theta.count / logTarget.count
        guard let i = logTarget.indices.filter({ logTarget[$0].isFinite }).max(by: { logTarget[$0] < logTarget[$1] }),
              logTarget[i] > bestLogProb else { return }
        (best, bestLogProb) = (Array(theta[(i * d)..<((i + 1) * d)]), logTarget[i])
    }

    /// `trainedSigma`: the σ (dex) per pixel a flow that sees x alone was trained with;
    /// `analyticMass`: the flow learned every parameter but log_mass, drawn from its exact
    /// conditional (`AnalyticMassPosterior`).
    init(chunk: ObservationChunk, row i: Int, pixels p: Int, posterior flow: any PosteriorFlow, analyticMass: Bool = false,
         trainedSigma: [Double]?, simulator: SpectrumSimulator, prior: PriorSet, fluxCalibration: FluxCalibration?,
         settings: InferSettings, generator g: inout Xoshiro256StarStar) {
        let d = prior.count, s = settings.samples, q = 2
        let observation = NoisySpectrum(logFlux: chunk.logFlux[(i * p)..<((i + 1) * p)], sigma: chunk.sigma[(i * p)..<((i + 1) * p)],
                                        mask: chunk.mask[(i * p)..<((i + 1) * p)])
        let layout = flow.contextLayout
        predictive = [[Float]](repeating: .nans(p), count: 3)
        residual = .nans(p)
        // A refused observation gets NaN samples and flag 2, with the reason.
        func refuse(_ reason: String) -> GalaxyPosterior {
            var refused = self
            refused.refusal = reason
            refused.logWeights = .nans(settings.importanceDraws)
            refused.flags = .invalidInput
            return refused
        }
        (samples, logProb, derivedSamples) = (.nans(s * d), .nans(s), .nans(s * q))
        if let reason = layout.refusal(observation, trainedSigma: trainedSigma) {
            self = refuse(reason)
            return
        }
        let context = layout.encode(observation)
        // A real galaxy is no older than the Universe at its redshift: the prior truncated at
        // that age, under which the exact posterior is the flow's restricted there.
        let ageLimit = chunk.ageLimit?[i] ?? .infinity
        let noMassBelowAge = String(format: "the flow puts (almost) no posterior mass below the age of the Universe at its redshift (%.2f Gyr)", ageLimit)
        let box = (low: prior.entries.map(\.prior.low), high: prior.entries.map(\.prior.high))
        guard let prior = try? prior.limitingAge(to: ageLimit) else {
            self = refuse(noMassBelowAge)
            return
        }
        let exact = SpectrumPosterior(prior: prior, simulator: simulator, observation: observation, fluxCalibration: fluxCalibration)
        let posterior = observationPosterior(flow: flow, analyticMass: analyticMass, context: context, exact: exact,
                                             low: box.low, high: box.high)
        /// log q(θ | this observation) of `count` θ rows (NaN where it cannot say).
        func flowLogProb(_ rows: [Double], _ count: Int) -> [Double] { posterior.logProb(rows, count: count) }
        let resampling = settings.importanceResampling && settings.importanceDraws > 0
        let drawCount = resampling ? settings.importanceDraws : s
        guard var draw = Self.draw(posterior, count: drawCount, ageLimit: ageLimit, tAge: prior.index(of: .tAge), generator: &g) else {
            self = refuse(noMassBelowAge)
            return
        }
        // Sampling-importance resampling: every draw simulated and weighed, `s` of them kept.
        var resampledSpectra: [Float]?
        if resampling {
            let n = drawCount
            let spectra = draw.spectra ?? simulator.simulate(try! NDArray(shape: [n, d], data: draw.theta), threads: 1).logFlux.data
            let weights = weigh(exact, theta: draw.theta, logProb: draw.logProb, spectra: spectra, count: n)
            // Where k̂ fails the weights miss mass of the exact posterior and the resampled
            // posterior would be too narrow: the flow's own first draws are kept instead.
            let u = g.nextUniform()
            let rounds = settings.refinementRounds ?? 0
            if !weights.isReliable && rounds > 0 {
                // Adaptive importance sampling from the flow's weighted draws; the stored samples
                // are the first round's that passes k̂, with the flow's log q at them.
                var sampler = AdaptiveImportanceSampler(box: BoxCoordinates(low: posterior.low, high: posterior.high))
                (sampler.rounds, sampler.draws) = (rounds, n)
                // The flow itself takes a fifth of every round's draws: wherever it covers the exact
                // posterior (it is trained to cover), no round can miss that mass.
                let defensive = AdaptiveImportanceSampler.Defensive(
                    weight: 0.2,
                    draw: { count, g in posterior.sample(count: count, generator: &g).theta },
                    logDensity: flowLogProb)
                // log_mass adds to every log-flux pixel: its exact conditional comes from the
                // model spectrum at any mass (a closed-form Gaussian), so the rounds propose the
                // others only — the amplitude pins the mass far more tightly than they could follow.
                let k = prior.index(of: .logMass)
                let conditional = AdaptiveImportanceSampler.GaussianConditional(index: k) { rows, count in
                    let spectra = simulator.simulate(try! NDArray(shape: [count, d], data: rows), threads: 1).logFlux.data
                    return (0..<count).map { r in
                        guard exact.prior.logDensity(rows[(r * d)..<((r + 1) * d)]) > -.infinity else { return nil }
                        return exact.massConditional(model: spectra[(r * p)..<((r + 1) * p)], logMass: rows[r * d + k])
                    }
                }
                var (best, bestLogProb) = (self.best, self.bestLogProb)
                let refined = sampler.refine(theta: draw.theta, logWeights: logWeights, logTarget: { rows, count in
                    let logTarget = exact.logDensity(rows, count: count, spectra: simulator.simulate(try! NDArray(shape: [count, d], data: rows), threads: 1).logFlux.data)
                    Self.keepBest(rows, logTarget, in: &best, &bestLogProb)
                    return logTarget
                }, defensive: defensive, conditional: exact.prior.entries[k].prior.distribution == .uniform ? conditional : nil, generator: &g)
                (self.best, self.bestLogProb) = (best, bestLogProb)
                if let refined {
                    let chosen = ImportanceWeights.systematicResample(logWeights: refined.logWeights, count: s, uniform: u)
                    let theta = chosen.flatMap { refined.theta[($0 * d)..<(($0 + 1) * d)] }
                    let logProb = flowLogProb(theta, s).map { $0 + draw.logShift }
                    draw = (theta: theta, logProb: logProb, spectra: nil, logShift: draw.logShift)
                    resampledSpectra = simulator.simulate(try! NDArray(shape: [s, d], data: theta), threads: 1).logFlux.data
                    flags.remove(.unreliableFlow)
                    refinementRounds = refined.rounds
                } else {
                    refinementRounds = -1
                }
            }
            if refinementRounds <= 0 {
                let chosen = weights.isReliable ? ImportanceWeights.systematicResample(logWeights: logWeights, count: s, uniform: u)
                                                : Array(0..<s)
                let theta: [Double] = chosen.flatMap { draw.theta[($0 * d)..<(($0 + 1) * d)] }
                let logProb: [Double] = chosen.map { draw.logProb[$0] }
                draw = (theta: theta, logProb: logProb, spectra: nil, logShift: draw.logShift)
                resampledSpectra = chosen.flatMap { spectra[($0 * p)..<(($0 + 1) * p)] }
            }
        }
        samples = draw.theta
        logProb = draw.logProb
        let summary = SampleSummary(samples: samples, logProb: logProb, dimensions: d)
        self.summary = summary
        let derivedValues = simulator.derived(try! NDArray(shape: [s, d], data: samples))
        derivedSamples = (0..<s).flatMap { [derivedValues.logLivingMass[$0], derivedValues.massWeightedAge[$0]] }
        derived = SampleSummary(samples: derivedSamples, logProb: logProb, dimensions: q)
        if let truth = chunk.thetaTrue, ageLimit == .infinity {
            truthLogProb = flowLogProb(Array(truth[(i * d)..<((i + 1) * d)]), 1)[0]
        }
        // The flow's own prior box (equal to the pipeline's: `InferStage.checkCompatible`).
        if !PosteriorFlags.priorEdges(p50: summary.p50, low: posterior.low, high: posterior.high).isEmpty {
            flags.insert(.medianAtPriorEdge)
        }
        // The first draws' model spectra, simulated once, serve the predictive check (the first
        // ppcSamples) and the importance weights (the first importanceDraws); independent draws.
        let m = settings.ppcSamples, w = resampling ? 0 : settings.importanceDraws, k = max(m, w)
        guard k > 0 else { return }
        let spectra = resampledSpectra ?? draw.spectra.map { Array($0[0..<(k * p)]) }
            ?? simulator.simulate(try! NDArray(shape: [k, d], data: Array(samples[0..<(k * d)])), threads: 1).logFlux.data
        if w > 0 {
            weigh(exact, theta: Array(samples[0..<(w * d)]), logProb: Array(logProb[0..<w]), spectra: Array(spectra[0..<(w * p)]), count: w)
        }
        guard m > 0 else { return }
        // Each draw's model as the observation sees it (through its calibration given θ) and its
        // χ² under the observation model (the calibration marginalised).
        let drawn = (0..<m).map { spectra[($0 * p)..<(($0 + 1) * p)] }
        let check = PredictiveCheck(observation: observation, spectra: drawn.flatMap { exact.observed(model: $0) }, draws: m,
                                    discrepancies: exact.calibration == nil ? nil : drawn.map { exact.chiSquare(model: $0) })
        predictive = [check.median, check.p16, check.p84]
        residual = check.residual
        (chi2, dof, pValue) = (check.chi2, check.dof, check.pValue)
        if pValue < settings.ppcPValue { flags.insert(.outOfDistribution) }
    }
}
