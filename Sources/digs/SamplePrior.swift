import ArgumentParser
import PipelineRunner

/// `digs sample-prior`.
struct SamplePrior: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw parameter vectors from the pipeline's priors (theta_grid product).",
        discussion: "Output: <pipeline output>/02_theta_<set>.h5 unless -o is given. Row i always gets the same draw for a given seed.")

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Which set: train or test (independent draws).")
    var set: String = "train"

    @Option(name: [.customShort("n"), .long], help: "Number of draws (default: the pipeline's sample_prior.<set>).")
    var count: Int?

    @Option(name: .long, help: "Seed (default: the pipeline's seed).")
    var seed: UInt64?

    @Option(name: .long, help: "Take the parameter vectors from a CSV table with a header of parameter names instead of drawing them.")
    var fromTable: String?

    @Option(name: [.short, .long], help: "Output product path.")
    var output: String?

    func validate() throws {
        guard SamplePriorStage.Set(rawValue: set) != nil else { throw ValidationError("--set must be train or test") }
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
    }

    func run() throws {
        let pipeline = try common.pipeline()
        try pipeline.checkResources(stages: ["sample-prior"], source: common.config ?? "the default settings")
        let which = SamplePriorStage.Set(rawValue: set)!  // checked in validate()
        let n = count ?? (which == .train ? pipeline.samplePrior.train : pipeline.samplePrior.test)
        let out = try common.outputPath(output, default: "02_theta_\(set).h5")
        if let fromTable {
            try SamplePriorStage.run(priors: pipeline.model.parameters, table: fromTable, output: out, overwrite: common.force)
            print(out)
            return
        }
        try SamplePriorStage.run(priors: pipeline.model.parameters, count: n, set: which, seed: seed ?? pipeline.seed,
                                 output: out, overwrite: common.force)
        print(out)
    }
}
