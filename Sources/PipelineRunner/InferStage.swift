import DigsCore
import Diagnostics
import ForwardModel
import Foundation
import Inference
import MCMC
import NeuralFlows
import ProductIO
import SpectralSynthesis

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
        // The family first: its message says more than the parameter names that follow from it.
        let family = SFHFamilyRecord.name(of: model)
        try SFHFamilyRecord.require(flow.product, matches: family, of: "the pipeline")
        try checkCompatible(flow: flow, flowPath: flowPath, source: source, model: model)
        // The flow, the observations and this build's simulator (derived quantities, the
        // predictive check) must share one forward model.
        try ForwardModelVersionRecord.require(flow.product, matches: ForwardModelVersion.current, of: "this build of DIGS")
        if try source.modelVersion != nil {
            try ForwardModelVersionRecord.require(source.product, matches: ForwardModelVersion.current, of: "the flow \(flowPath)")
            try SFHFamilyRecord.require(source.product, matches: family, of: "the pipeline")
        }
        let sspProduct = try Product.open(sspPath, expecting: .sspLibrary)
        log("preparing the forward model for derived quantities and the predictive check")
        let simulator = try SpectrumSimulator(library: try SSPLibrary(product: sspProduct), settings: model)
        let slice = shard.rows(of: source.count)
        // Every parameter of the pipeline, log_mass too where the flow leaves it to its exact conditional.
        let analytic = try analyticParameter(of: flow, flowPath: flowPath, prior: model.parameters)
        let (names, units) = analytic != nil ? (model.parameters.names, model.parameters.units) : (posterior.parameterNames, flow.parameterUnits)
        let (n, p, d, s) = (slice.upperBound, source.pixels, names.count, settings.samples)
        let derivedQuantities = simulator.vocabulary.posteriorDerived
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
        try writer.write("sfh/lookback_time", NDArray(shape: [SpectrumSimulator.sfhLookbacks.count], data: SpectrumSimulator.sfhLookbacks.map { $0 / 1e9 }),
                         axes: ["lookback"], units: "Gyr", description: "lookback times of the recorded star-formation history: 60, log-spaced from 1 Myr to the oldest SSP age")
        let lookbacks = SpectrumSimulator.sfhLookbacks.count
        let sfrSet = try set("sfh/sfr_percentiles", .float64, [0, 3, lookbacks], ["galaxy", "quantile", "lookback"], "solMass/yr",
                             "16th, 50th and 84th percentiles over the posterior samples of the star-formation rate at each lookback time")
        let derivedTruthSet = try source.parameterNames.map { _ in
            try parameterSet("derived/truth", [0, q], ["galaxy", "derived"], "derived quantities of the true parameters (simulated observations)",
                             names: derivedNames, units: derivedUnits)
        }
        let sfrTrueSet = try source.parameterNames.map { _ in
            try set("sfh/sfr_true", .float64, [0, lookbacks], ["galaxy", "lookback"], "solMass/yr",
                    "the star-formation rate of the true parameters (simulated observations)")
        }
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
        if let analytic { try writer.file.setAttribute(FlowModelFile.analyticParameterAttribute, .string(analytic.rawValue)) }
        try ForwardModelVersionRecord.write(ForwardModelVersion.current, to: writer)
        try SFHFamilyRecord.write(family, to: writer)

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
                    out[i] = GalaxyPosterior(observation: chunk.observation(i), ageLimit: chunk.ageLimit?[i] ?? .infinity,
                                             thetaTrue: chunk.truth(i), posterior: posterior, analytic: analytic,
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
            try sfrSet.append(rows([3, lookbacks]) { $0.sfr })
            if let sfrTrueSet { try sfrTrueSet.append(rows([lookbacks]) { $0.sfrTrue ?? .nans(lookbacks) }) }
            if let derivedTruthSet, let truth = chunk.thetaTrue {
                let values = simulator.derived(try NDArray(shape: [c, d], data: truth))
                let columns = derivedNames.map { values[$0]! }  // posteriorDerived ⊂ derived
                try derivedTruthSet.append(NDArray(shape: [c, q], data: (0..<c).flatMap { i in columns.map { $0[i] } }))
            }
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
}
