import ArgumentParser
import PipelineRunner

/// `digs augment`.
struct Augment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Noisy training pairs: K noise realisations of every noiseless spectrum (augmented_batches product).",
        discussion: """
        Noise model from the pipeline's `augment` section: log_gaussian (x + N(0, sigma_dex²), default \
        log10(1.05) = the paper's 5 %), fractional (Gaussian in linear flux) or per_pixel (one sigma_dex per pixel). \
        θ and x stay exactly paired. Output: <pipeline output>/04_augmented.h5.
        """)

    @OptionGroup var common: CommonOptions

    @OptionGroup var sharding: ShardOption

    @Option(name: .long, help: "sed_set product (default: <pipeline output>/03_sed_train.h5).")
    var sed: String?

    @Option(name: .customShort("k"), help: "Noise realisations per spectrum (default: the pipeline's augment.realisations).")
    var realisations: Int?

    @Option(name: .long, help: "Seed (default: the pipeline's seed).")
    var seed: UInt64?

    @Option(name: [.short, .long], help: "Output product path.")
    var output: String?

    func run() throws {
        let pipeline = try common.pipeline()
        try pipeline.checkResources(stages: ["augment"], source: common.config ?? "the default settings")
        var settings = pipeline.augment
        if let realisations { settings.realisations = realisations }
        try AugmentStage.run(settings: settings, sedPath: try common.outputPath(sed, default: "03_sed_train.h5"),
                             output: try common.outputPath(output, default: "04_augmented.h5"), seed: seed ?? pipeline.seed,
                             overwrite: common.force, shard: try sharding.value(), log: progress)
    }
}
