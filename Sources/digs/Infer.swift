import ArgumentParser
import PipelineRunner

/// `digs observe`.
struct Observe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn noiseless test spectra (sed_set) into observations (observation_set): one noise draw each.",
        discussion: """
        Uses the pipeline's noise model (augment.noise) and seed; each spectrum gets its own noise stream, so the \
        observations are the same however the work is split. σ per pixel is stored, every pixel is usable, the true \
        θ is kept. `digs infer` makes the same draws when it is given the sed_set directly. \
        Output: <pipeline output>/06_observations_<set>.h5.
        """)

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "sed_set product (default: <pipeline output>/03_sed_<set>.h5).")
    var sed: String?

    @Option(name: .long, help: "Which set, for the default paths.")
    var set: String = "test"

    @Option(name: .long, help: "Seed (default: the pipeline's seed).")
    var seed: UInt64?

    @Option(name: [.short, .long], help: "Output product path.")
    var output: String?

    func run() throws {
        let pipeline = try common.pipeline()
        try ObserveStage.run(noise: pipeline.augment.noise, sedPath: try common.outputPath(sed, default: "03_sed_\(set).h5"),
                             output: try common.outputPath(output, default: "06_observations_\(set).h5"),
                             seed: seed ?? pipeline.seed, overwrite: common.force, log: progress)
    }
}

/// `digs infer`.
struct Infer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Posterior samples for every observed spectrum (posterior_samples product).",
        discussion: """
        Draws S samples (infer.samples, default 1000) per spectrum from the trained flow, batched over galaxies and \
        threads, streaming (memory flat in the number of galaxies). Stores 16/50/84th percentiles, mean, std, MAP \
        (highest flow density among the samples), every sample's log q, the derived living stellar mass and its mean \
        age for every sample, and a posterior predictive check: the model spectra of infer.ppc_samples draws, their \
        median and 68 % band, residuals and χ²; galaxies whose χ² p-value is below infer.ppc_pvalue are flagged \
        out-of-distribution (flag 1); invalid spectra (NaN, σ ≤ 0, masked pixels) are flagged 2 and skipped; a median \
        at a prior edge is flag 4. Observations: an observation_set, or a sed_set (one noise draw each, as \
        `digs observe`). Output: <pipeline output>/07_posterior_<set>.h5.
        """)

    @OptionGroup var common: CommonOptions

    @OptionGroup var sharding: ShardOption

    @Option(name: .long, help: "observation_set or sed_set (default: <pipeline output>/06_observations_<set>.h5).")
    var observations: String?

    @Option(name: .long, help: "flow_model product (default: <pipeline output>/05_flow.h5).")
    var flow: String?

    @Option(name: .long, help: "ssp_library product (default: <pipeline output>/01_ssp_library.h5).")
    var ssp: String?

    @Option(name: .long, help: "Which set, for the default paths.")
    var set: String = "test"

    @Option(name: [.short, .customLong("samples")], help: "Posterior samples per galaxy (default: the pipeline's infer.samples).")
    var samples: Int?

    @Flag(name: .long, help: "Use a flow whose training did not finish (refused otherwise).")
    var allowUnfinished = false

    @Option(name: .long, help: "Seed (default: the pipeline's seed).")
    var seed: UInt64?

    @Option(name: [.short, .long], help: "Output product path.")
    var output: String?

    func run() throws {
        let pipeline = try common.pipeline()
        try pipeline.checkResources(stages: ["infer"], source: common.config ?? "the default settings")
        var settings = pipeline.infer
        if let samples {
                settings.samples = samples
                settings.ppcSamples = min(settings.ppcSamples, max(samples, 0))
            }
        try InferStage.run(settings: settings, model: pipeline.model, noise: pipeline.augment.noise,
                           flowPath: try common.outputPath(flow, default: "05_flow.h5"),
                           observationsPath: try common.outputPath(observations, default: "06_observations_\(set).h5"),
                           sspPath: try common.outputPath(ssp, default: "01_ssp_library.h5"),
                           output: try common.outputPath(output, default: "07_posterior_\(set).h5"),
                           seed: seed ?? pipeline.seed, overwrite: common.force, threads: common.threads,
                           shard: try sharding.value(), allowUnfinished: allowUnfinished, log: progress)
    }
}

/// `digs sbc`.
struct SBC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbc",
        abstract: "Calibration of the posteriors on test galaxies with known truth (sbc_result product).",
        discussion: """
        SBC ranks (Talts et al. 2018, ties broken at random) with KS and χ² uniformity tests per parameter; \
        marginal coverage of central credible intervals at levels 0.05…0.95; joint coverage of highest-density \
        regions (by the flow's log q); TARP expected coverage (Lemos et al. 2023); accuracy of the medians (bias, \
        RMSE, Pearson r, χ = (median − truth)/σ). Prints the table; the product holds every number. \
        Output: <pipeline output>/08_sbc_<set>.h5.
        """)

    @OptionGroup var common: CommonOptions

    @OptionGroup var sharding: ShardOption

    @Option(name: .long, help: "posterior_samples product (default: <pipeline output>/07_posterior_<set>.h5).")
    var posterior: String?

    @Option(name: .long, help: "Which set, for the default paths.")
    var set: String = "test"

    @Option(name: .long, help: "Seed (default: the pipeline's seed).")
    var seed: UInt64?

    @Option(name: [.short, .long], help: "Output product path.")
    var output: String?

    func run() throws {
        let pipeline = try common.pipeline()
        let summary = try SBCStage.run(posteriorPath: try common.outputPath(posterior, default: "07_posterior_\(set).h5"),
                                       output: try common.outputPath(output, default: "08_sbc_\(set).h5"),
                                       seed: seed ?? pipeline.seed, overwrite: common.force, shard: try sharding.value(),
                                       log: progress)
        print(summary)
    }
}
