import ArgumentParser
import PipelineRunner

/// `digs sample-prior`.
struct SamplePrior: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.samplePrior.commandName,
        abstract: "Draw parameter vectors from the pipeline's priors (theta_grid product).",
        discussion: "Output: <pipeline output>/02_theta_<set>.h5 unless -o is given. Row i always gets the same draw for a given seed.")

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong(StageOption.set.rawValue), help: "Which set: train or test (independent draws).")
    var set: SamplePriorStage.Set = .train

    @Option(name: [.customShort("n"), .long], help: "Number of draws (default: the pipeline's sample_prior.<set>).")
    var count: Int?

    @OptionGroup var seed: SeedOption

    @Option(name: .long, help: "Take the parameter vectors from a CSV table with a header of parameter names instead of drawing them.")
    var fromTable: String?

    @OptionGroup var output: OutputOption

    func validate() throws {
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
    }

    func run() throws {
        let run = try common.context(set: set.rawValue)
        try run.checkResources("sample-prior")
        var reads = StageReads.SamplePrior(run.pipeline, set: set.rawValue)
        if let count { reads.count = count }
        reads.seed = seed.value(run)
        let priors = reads.priors
        let out = try output.path(run, default: .theta(set: run.set))
        if let fromTable {
            try SamplePriorStage.run(priors: priors, table: fromTable, output: out, overwrite: common.force)
        } else {
            try SamplePriorStage.run(priors: priors, count: reads.count, set: set, seed: reads.seed, output: out, overwrite: common.force)
        }
        print(out)
    }
}
