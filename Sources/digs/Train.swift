import ArgumentParser
import PipelineRunner

/// `digs train`.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.train.commandName,
        abstract: "Train the neural posterior estimator, a masked autoregressive flow (flow_model product).",
        discussion: """
        The flow is sbi's `maf` (MADE, 2 tanh hidden layers, context into every transform), paper size 25 hidden × 10 \
        transforms; θ passes a logit of the prior box then z-scoring, x is z-scored. Adam (lr 5e-4), batches of 200, \
        10 % validation, stops after 20 epochs without improvement and keeps the best weights (the pipeline's `train` \
        section changes these). With `train.analytic_mass: true` the flow learns every parameter but log_mass, which \
        `digs infer` draws from its exact conditional posterior (the quickstart's default). The product is rewritten \
        after every epoch; --resume continues a stopped run to the same result. Output: <pipeline output>/05_flow.h5.
        """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var data: ProductOption<AugmentedInput>
    @OptionGroup var seed: SeedOption

    @Option(name: .long, help: "Stop after at most this many epochs (default: the pipeline's train.max_epochs).")
    var maxEpochs: Int?

    @Option(name: .long, help: "Use only the first N training pairs (quick experiments, benchmarks).")
    var limit: Int?

    @Flag(name: .long, help: "Continue the unfinished training stored in the output product.")
    var resume = false

    @Flag(name: .long, help: "Drop training pairs with NaN or infinite values instead of refusing them.")
    var dropInvalid = false

    @OptionGroup var output: OutputOption

    func run() throws {
        let run = try common.context()
        try run.checkResources("train")
        var reads = StageReads.Train(run.pipeline)
        if let maxEpochs { reads.train.maxEpochs = maxEpochs }
        reads.seed = seed.value(run)
        try TrainStage.run(settings: reads.train, priors: reads.priors, dataPath: data.resolve(run),
                           output: output.path(run, default: .flow), seed: reads.seed, overwrite: common.force,
                           resume: resume, dropInvalid: dropInvalid, limit: limit, threads: common.threads, log: progress)
    }
}
