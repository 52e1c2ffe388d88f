import ArgumentParser
import PipelineRunner

/// `digs augment`.
struct Augment: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.augment.commandName,
        abstract: "Noisy training pairs: K noise realisations of every noiseless spectrum (augmented_batches product).",
        discussion: """
        Noise model from the pipeline's `augment` section: log_gaussian (x + N(0, sigma_dex²), default \
        log10(1.05) = the paper's 5 %), fractional (Gaussian in linear flux) or per_pixel (one sigma_dex per pixel). \
        θ and x stay exactly paired. Output: <pipeline output>/04_augmented.h5.
        """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var sharding: ShardOption
    @OptionGroup var sed: ProductOption<SEDInput>

    @Option(name: .customShort("k"), help: "Noise realisations per spectrum (default: the pipeline's augment.realisations).")
    var realisations: Int?

    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOption

    func run() throws {
        let run = try common.context(set: "train")
        try run.checkResources("augment")
        var reads = StageReads.Augment(run.pipeline)
        if let realisations { reads.augment.realisations = realisations }
        reads.seed = seed.value(run)
        try AugmentStage.run(reads: reads, sedPath: sed.resolve(run), output: output.path(run, default: .augmented),
                             overwrite: common.force, shard: try sharding.value(),
                             threads: common.threads, log: progress)
    }
}
