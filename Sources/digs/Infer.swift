import ArgumentParser
import PipelineRunner

/// `digs observe`.
struct Observe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.observe.commandName,
        abstract: "Turn noiseless test spectra (sed_set) into observations (observation_set): one noise draw each.",
        discussion: """
        Uses the pipeline's observation model (model.observation: noise, model error, flux calibration, emission-line mask) and seed; each spectrum gets its own noise stream, so the \
        observations are the same however the work is split. σ per pixel is stored, every pixel is usable, the true \
        θ is kept. `digs infer` makes the same draws when it is given the sed_set directly. \
        Output: <pipeline output>/06_observations_<set>.h5.
        """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var sed: ProductOption<SEDInput>
    @OptionGroup var sets: SetOption
    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOption

    func run() throws {
        let run = try common.context(set: sets.name())
        var reads = StageReads.Observe(run.pipeline)
        reads.seed = seed.value(run)
        try ObserveStage.run(reads: reads, sedPath: sed.resolve(run),
                             output: output.path(run, default: .observations(set: run.set)),
                             overwrite: common.force, log: progress)
    }
}

/// `digs infer`.
struct Infer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.infer.commandName,
        abstract: "Posterior samples for every observed spectrum (posterior_samples product).",
        discussion: """
        Draws S samples (infer.samples, default 1000) per spectrum from the trained flow, batched over galaxies and \
        threads, streaming (memory flat in the number of galaxies). Stores 16/50/84th percentiles, mean, std, MAP \
        (highest flow density among the samples), every sample's log q, the derived living stellar mass and its mean \
        age for every sample, and a posterior predictive check: the model spectra of infer.ppc_samples draws, their \
        median and 68 % band, residuals and χ²; galaxies whose χ² p-value is below infer.ppc_pvalue are flagged \
        out-of-distribution (flag 1); invalid spectra (NaN, σ ≤ 0, masked pixels) are flagged 2 and skipped; a median \
        at a prior edge is flag 4. The first infer.importance_samples draws (default 200) are weighed by the exact \
        posterior, w = p(x | θ) p(θ) / q(θ | x): their effective sample size over draws and Pareto k̂ (PSIS, Vehtari \
        et al. 2024) are stored per galaxy, and k̂ above min(1 − 1/log10 S, 0.7) is flag 8 (the flow misrepresents \
        that galaxy's posterior); this needs no truth, so it works for real spectra. Observations: an observation_set, or a sed_set (one noise draw each, as \
        `digs observe`). Output: <pipeline output>/07_posterior_<set>.h5.
        """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var sharding: ShardOption
    @OptionGroup var observations: ProductOption<ObservationsInput>
    @OptionGroup var flow: ProductOption<FlowInput>
    @OptionGroup var ssp: ProductOption<SSPInput>
    @OptionGroup var sets: SetOption

    @Option(name: [.short, .customLong("samples")], help: "Posterior samples per galaxy (default: the pipeline's infer.samples).")
    var samples: Int?

    @Flag(name: .long, help: "Use a flow whose training did not finish (refused otherwise).")
    var allowUnfinished = false

    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOption

    func run() throws {
        let run = try common.context(set: sets.name())
        try run.checkResources("infer")
        var reads = StageReads.Infer(run.pipeline)
        reads.infer = reads.infer.with(samples: samples)
        reads.seed = seed.value(run)
        try InferStage.run(reads: reads, flowPath: flow.resolve(run), observationsPath: observations.resolve(run), sspPath: ssp.resolve(run),
                           output: output.path(run, default: .posterior(set: run.set)),
                           overwrite: common.force, threads: common.threads, shard: try sharding.value(),
                           allowUnfinished: allowUnfinished, log: progress)
    }
}

/// `digs sbc`.
struct SBC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.sbc.commandName,
        abstract: "Calibration of the posteriors on test galaxies with known truth (sbc_result product).",
        discussion: """
        SBC ranks (Talts et al. 2018, ties broken at random) with KS and χ² uniformity tests per parameter; \
        marginal coverage of central credible intervals at levels 0.05…0.95; joint coverage of highest-density \
        regions (by the flow's log q); TARP expected coverage (Lemos et al. 2023); accuracy of the medians (bias, \
        RMSE, Pearson r, χ = (median − truth)/σ); NLTP, the mean −log q(θ_true | x) in nats (lower: sharper). Prints \
        the table; the product holds every number. \
        Output: <pipeline output>/08_sbc_<set>.h5.
        """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var sharding: ShardOption
    @OptionGroup var posterior: ProductOption<PosteriorInput>
    @OptionGroup var sets: SetOption
    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOption

    func run() throws {
        let run = try common.context(set: sets.name())
        var reads = StageReads.SBC(run.pipeline)
        reads.seed = seed.value(run)
        let summary = try SBCStage.run(posteriorPath: posterior.resolve(run), output: output.path(run, default: .sbc(set: run.set)),
                                       seed: reads.seed, overwrite: common.force, shard: try sharding.value(), log: progress)
        print(summary)
    }
}
