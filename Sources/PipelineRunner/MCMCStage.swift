import DigsCore
import Diagnostics
import ForwardModel
import Foundation
import Inference
import MCMC
import ProductIO
import SpectralSynthesis

/// `digs mcmc`: the exact-likelihood baseline → `mcmc_chains`. Per galaxy, an emcee-style
/// ensemble samples the `SpectrumPosterior` p(θ | x) ∝ p(θ)·exp(−½ Σ_pixels ((x − f(θ))/σ)²), the
/// prior's density included, with the same forward model, prior and noise σ as the flow; galaxy g uses stream (`.mcmc`, g), so chains do
/// not depend on threads. Galaxies run in parallel; each finished galaxy is kept in a hidden
/// parts folder beside the output, so an interrupted run resumes where it stopped.
public enum MCMCStage {
    public static func run(reads: StageReads.MCMC, observationsPath: String,
                           sspPath: String, posteriorPath: String?, galaxies requested: [Int]?, output: String,
                           overwrite: Bool, threads: Int, shard: Shard = .whole,
                           log: @escaping @Sendable (String) -> Void) throws {
        if FileManager.default.fileExists(atPath: output) && !overwrite { throw DigsError.alreadyExists(path: output) }
        let (settings, model, nuisances, seed) = (reads.mcmc, reads.model, reads.observation.nuisances, reads.seed)
        try settings.validate()
        let source = try ObservationSource(path: observationsPath, observation: reads.observation, seed: seed)
        try source.requireGrid(of: model)
        let prior = model.parameters, d = prior.count
        _ = try EnsembleSampler(dimensions: d, walkers: settings.resolvedWalkers)  // refuses a bad walker count early
        if let names = source.parameterNames, names != prior.names {
            throw DigsError.invalidProduct(path: observationsPath, field: "theta_true parameter_names",
                                           problem: "are \(names); the pipeline's parameters are \(prior.names)")
        }
        let all = requested ?? Array(0..<min(settings.galaxies, source.count))
        let slice = shard.rows(of: all.count), selected = Array(all[slice])
        if let bad = selected.first(where: { $0 < 0 || $0 >= source.count }) {
            throw DigsError.invalidInput(field: "--galaxies", problem: "index \(bad) is outside 0..<\(source.count) of \(observationsPath)")
        }
        let posterior = try posteriorPath.map { try Product.open($0, expecting: .posteriorSamples) }
        if settings.initialization == .npe && posterior == nil {
            throw DigsError.invalidInput(field: "mcmc.init", problem: "'npe' needs a posterior_samples product (--posterior; `digs infer` makes it), or set mcmc.init: prior or screened")
        }
        if settings.initialization == .screened {
            log(posterior.map { "screened start: \(MCMCInitialization.screeningDraws) prior draws and the NPE samples of \($0.path)" }
                ?? "screened start: \(MCMCInitialization.screeningDraws) prior draws (no posterior_samples product of these observations)")
        }
        if let posterior {
            let samples = try posterior.dataset("samples", rank: 3)
            guard samples.shape[0] == source.count, samples.shape[1] >= settings.resolvedWalkers else {
                throw DigsError.invalidProduct(path: posterior.path, field: "samples",
                                               problem: "has shape \(samples.shape); needs one row per observation of \(observationsPath) (\(source.count)) and at least \(settings.resolvedWalkers) samples")
            }
        }
        if try source.modelVersion != nil {
            try ForwardModelVersionRecord.require(source.product, matches: ForwardModelVersion.current, of: "this build's MCMC likelihood")
            try SFHFamilyRecord.require(source.product, matches: SFHFamilyRecord.name(of: model), of: "the pipeline")
        }
        let sspProduct = try Product.open(sspPath, expecting: .sspLibrary)
        let simulator = try SpectrumSimulator(library: try SSPLibrary(product: sspProduct), settings: model)
        // A finished galaxy is resumed only under the same settings, models and seed.
        let config = StageReads.json(reads), partsConfig = config
        let parts = partsFolder(output)
        try FileManager.default.createDirectory(atPath: parts, withIntermediateDirectories: true)
        log("MCMC on \(selected.count) galaxies: \(settings.description), \(settings.likelihoodCalls) likelihood calls each")

        // Observations and starting points are read up front (a handful of galaxies).
        var tasks = [GalaxyTask]()
        for galaxy in selected {
            let chunk = try source.read(galaxy..<(galaxy + 1))
            var samples: [Double]?
            if let posterior {
                let dataset = try posterior.dataset("samples", rank: 3)
                let block: NDArray<Float> = try dataset.readHyperslab(start: [galaxy, 0, 0], count: [1, dataset.shape[1], d])
                samples = block.data.map(Double.init)
                // The most probable position `digs infer` evaluated, where it stored one.
                if posterior.file.exists("importance/best") {
                    let best: NDArray<Double> = try posterior.dataset("importance/best", rank: 2).readHyperslab(start: [galaxy, 0], count: [1, d])
                    if best.data.allSatisfy(\.isFinite) { samples! += best.data }
                }
            }
            tasks.append(GalaxyTask(galaxy: galaxy, observation: chunk, npeSamples: samples))
        }
        let work = tasks
        let results = ResultBox(count: tasks.count)
        let failures = ResultBox(count: tasks.count)
        parallelChunks(tasks.count, workers: threads) { _, i in
            let task = work[i], part = "\(parts)/galaxy_\(task.galaxy).h5"
            do {
                if let done = try? GalaxyChain.load(part, config: partsConfig) {
                    log("galaxy \(task.galaxy): resumed from \(part)")
                    results.set(i, done)
                    return
                }
                var g = RandomStreams(seed: seed).generator(.mcmc, index: UInt64(task.galaxy))
                let chain = try GalaxyChain.run(observation: task.observation.observation(0), ageLimit: task.observation.ageLimit?[0],
                                                npeSamples: task.npeSamples, settings: settings, prior: prior, simulator: simulator,
                                                fluxCalibration: nuisances.fluxCalibration, generator: &g)
                try chain.save(part, config: partsConfig)
                let tauText = chain.result.autocorrelationTime.map { String(format: "%.1f", $0) }.joined(separator: ", ")
                let typical = chain.result.stepsToTypicalSet.map { "after \($0) burn-in steps" } ?? "never during burn-in"
                let attempts = chain.result.productionAttempts > 1 ? ", \(chain.result.productionAttempts) production attempts" : ""
                log(String(format: "galaxy %d: %.1f s, acceptance %.2f, τ = (%@) steps; typical set reached %@%@", task.galaxy,
                           chain.seconds, chain.result.acceptanceFraction, tauText, typical, attempts))
                if let problem = chain.result.convergence(steps: settings.resolvedProduction).problem {
                    log("warning: galaxy \(task.galaxy): not converged — \(problem); flagged (converged = 0), and `digs compare` leaves it out of its summary while any galaxy converged")
                }
                results.set(i, chain)
            } catch {
                failures.set(i, error)
            }
        }
        if let error = failures.values.compactMap({ $0 as? Error }).first { throw error }
        let chains = results.values.map { $0 as! GalaxyChain }

        var inputs = [source.product.asInput(role: "observations"), sspProduct.asInput(role: "ssp_library")]
        if let posterior { inputs.append(posterior.asInput(role: "posterior_samples")) }
        let writer = try ProductWriter(path: output, kind: .mcmcChains, seed: seed, config: config, inputs: inputs,
                                       overwrite: overwrite)
        let g = chains.count, t = settings.storedSteps, w = settings.resolvedWalkers
        try source.allIDs.subset(selected).write(to: writer)
        try shard.record(in: writer, rows: slice, total: all.count)
        try writer.write("galaxy_index", NDArray(shape: [g], data: selected.map(Int64.init)), axes: ["galaxy"], units: "",
                         description: "row of each fitted galaxy in the observations")
        try writer.writeParameterArray("chains", NDArray(shape: [g, t, w, d], data: chains.flatMap(\.result.chain)),
                                       axes: ["galaxy", "step", "walker", "parameter"], parameterNames: prior.names,
                                       parameterUnits: prior.units, description: "walker positions of the stored production steps (every thin-th)")
        try writer.write("log_prob", NDArray(shape: [g, t, w], data: chains.flatMap(\.result.logProb)), axes: ["galaxy", "step", "walker"],
                         units: "", description: "log posterior (up to a constant) of each position")
        try writer.write("acceptance_fraction", NDArray(shape: [g], data: chains.map(\.result.acceptanceFraction)), axes: ["galaxy"],
                         units: "", description: "mean acceptance fraction over walkers in the production steps")
        try writer.write("autocorr_time", NDArray(shape: [g, d], data: chains.flatMap(\.result.autocorrelationTime)),
                         axes: ["galaxy", "parameter"], units: "", description: "integrated autocorrelation time in production steps before thinning (emcee's estimator)")
        try writer.write("split_rhat", NDArray(shape: [g, d], data: chains.flatMap(\.result.splitRHat)), axes: ["galaxy", "parameter"],
                         units: "", description: "split-R-hat of each parameter over the walkers' production chains (Gelman et al., BDA3)")
        try writer.write("converged", NDArray(shape: [g], data: chains.map { UInt8($0.result.convergence(steps: settings.resolvedProduction).isConverged ? 1 : 0) }),
                         axes: ["galaxy"], units: "",
                         description: "1 when the production chain is at least 50 autocorrelation times long for every parameter, every split-R-hat is at most 1.01 and missed_log_prob is at most 2")
        try writer.write("missed_log_prob", NDArray(shape: [g], data: chains.map(\.result.missedLogProbability)), axes: ["galaxy"], units: "",
                         description: "log posterior of the best position evaluated (screened candidates, walker starts, burn-in) minus the best of production; above 2 the chain misses the posterior's main mode")
        try writer.write("production_attempts", NDArray(shape: [g], data: chains.map { Int64($0.result.productionAttempts) }), axes: ["galaxy"],
                         units: "", description: "production runs made; the reference schedule refits its proposals and runs again while the chain has not converged (the last is kept)")
        try writer.writeParameterArray("best", NDArray(shape: [g, d], data: chains.flatMap(\.result.best)), axes: ["galaxy", "parameter"],
                                       parameterNames: prior.names, parameterUnits: prior.units,
                                       description: "highest-posterior position visited")
        let bestSpectra = simulator.spectra(try NDArray(shape: [g, d], data: chains.flatMap(\.result.best)))
        try writer.write("best_log_flux", bestSpectra, axes: ["galaxy", "pixel"], units: "log(solLum/Angstrom)",
                         description: "noiseless model spectrum at the best position (log10 L_λ)")
        try writer.write("timing/seconds", NDArray(shape: [g], data: chains.map(\.seconds)), axes: ["galaxy"], units: "s",
                         description: "wall time of each galaxy's chain on one core")
        let burn = settings.resolvedBurnIn.reduce(0, +)
        try writer.write("burn_in/median_log_prob", NDArray(shape: [g, burn], data: chains.flatMap(\.result.burnInTrace)),
                         axes: ["galaxy", "burn_step"], units: "", description: "median log posterior over walkers after each burn-in step")
        try writer.write("burn_in/steps_to_typical_set", NDArray(shape: [g], data: chains.map { Int64($0.result.stepsToTypicalSet ?? -1) }),
                         axes: ["galaxy"], units: "",
                         description: "burn-in steps until the median walker is within D/2 of the production median log posterior (-1: never)")
        if source.parameterNames != nil {
            try writer.writeParameterArray("theta_true", NDArray(shape: [g, d], data: tasks.flatMap { $0.observation.thetaTrue ?? [] }), axes: ["galaxy", "parameter"],
                                           parameterNames: prior.names, parameterUnits: prior.units,
                                           description: "true parameters, when known")
        }
        try writer.file.setAttribute("parameter_names", .strings(prior.names))
        try writer.file.setAttribute("schedule", .string(settings.schedule.rawValue))
        try writer.file.setAttribute("walkers", .int(Int64(w)))
        try writer.file.setAttribute("burn_in", .ints(settings.resolvedBurnIn.map(Int64.init)))
        try writer.file.setAttribute("production_steps", .int(Int64(settings.resolvedProduction)))
        try writer.file.setAttribute("thin", .int(Int64(settings.resolvedThin)))
        try writer.file.setAttribute("likelihood_calls", .int(Int64(settings.likelihoodCalls)))
        try writer.file.setAttribute("initialization", .string(settings.initialization.rawValue))
        if settings.initialization == .screened {
            try writer.file.setAttribute("screened_npe_samples", .int(posterior == nil ? 0 : 1))
        }
        if !nuisances.isEmpty {
            try writer.file.setAttribute("observation_nuisances", .string(PipelineConfig.json(nuisances)))
        }
        try ForwardModelVersionRecord.write(ForwardModelVersion.current, to: writer)
        try SFHFamilyRecord.write(SFHFamilyRecord.name(of: model), to: writer)
        try writer.commit()
        try? FileManager.default.removeItem(atPath: parts)
    }

    /// Hidden folder beside the output holding each finished galaxy until the product is written.
    static func partsFolder(_ output: String) -> String {
        let url = URL(fileURLWithPath: output)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).parts").path
    }
}

struct GalaxyTask: Sendable {
    let galaxy: Int
    let observation: ObservationChunk
    /// The NPE's posterior samples [S × D] of this observation, or nil: candidates of the
    /// missed-mode check and of a screened start; with mcmc.init npe the first W are the starts.
    let npeSamples: [Double]?
}
