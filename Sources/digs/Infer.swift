import ArgumentParser
import PipelineRunner

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
