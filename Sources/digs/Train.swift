import ArgumentParser
import PipelineRunner

/// `digs train`.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the neural posterior estimator, a masked autoregressive flow (flow_model product).",
        discussion: """
        The flow is sbi's `maf` (MADE, 2 tanh hidden layers, context into every transform), paper size 25 hidden × 10 \
        transforms; θ passes a logit of the prior box then z-scoring, x is z-scored. Adam (lr 5e-4), batches of 200, \
        10 % validation, stops after 20 epochs without improvement and keeps the best weights (the pipeline's `train` \
        section changes these). The product is rewritten after every epoch; --resume continues a stopped run to the \
        same result. Output: <pipeline output>/05_flow.h5.
        """)

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "augmented_batches product (default: <pipeline output>/04_augmented.h5).")
    var data: String?

    @Option(name: .long, help: "Seed (default: the pipeline's seed).")
    var seed: UInt64?

    @Option(name: .long, help: "Stop after at most this many epochs (default: the pipeline's train.max_epochs).")
    var maxEpochs: Int?

    @Option(name: .long, help: "Use only the first N training pairs (quick experiments, benchmarks).")
    var limit: Int?

    @Flag(name: .long, help: "Continue the unfinished training stored in the output product.")
    var resume = false

    @Flag(name: .long, help: "Drop training pairs with NaN or infinite values instead of refusing them.")
    var dropInvalid = false

    @Option(name: [.short, .long], help: "Output product path.")
    var output: String?

    func run() throws {
        let pipeline = try common.pipeline()
        try pipeline.checkResources(stages: ["train"], source: common.config ?? "the default settings")
        var settings = pipeline.train
        if let maxEpochs { settings.maxEpochs = maxEpochs }
        try TrainStage.run(settings: settings, priors: pipeline.model.parameters,
                           dataPath: try common.outputPath(data, default: "04_augmented.h5"),
                           output: try common.outputPath(output, default: "05_flow.h5"), seed: seed ?? pipeline.seed,
                           overwrite: common.force, resume: resume, dropInvalid: dropInvalid, limit: limit,
                           threads: common.threads,
                           log: progress)
    }
}
