import ArgumentParser
import DigsCore
import Foundation
import PipelineRunner

/// `digs run`.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a whole pipeline, stage by stage, skipping the stages whose products are up to date.",
        discussion: """
        Stages, in order: ssp, sample-prior-train, sample-prior-test, simulate-train, simulate-test, augment, train, \
        observe, infer, sbc, mcmc, compare, export — each the `digs` command of the same name with the pipeline file, \
        run as its own process (its output streams through). A stage is skipped when its product is unchanged since this command made it and its \
        fingerprint (what it reads of the pipeline file, and the content digests of its inputs) is the same: changing one \
        setting re-runs exactly the stages that read it and those downstream whose inputs change. The latest wall time and peak memory of each stage are kept in \
        <output>/run_log.json. Interrupted (Ctrl-C, kill), every finished product stays valid and the next run \
        continues from the first unfinished stage.
        """)

    @Argument(help: "Pipeline file (YAML).")
    var pipeline: String

    @Option(name: .long, help: "Start at this stage and re-run it and every later one.")
    var from: String?

    @Option(name: .long, help: "Stop after this stage.")
    var until: String?

    @Flag(name: .long, help: "Re-run every stage in the range, up to date or not.")
    var force = false

    @Flag(name: .long, help: "Print the plan (what would run and why) without running anything.")
    var dryRun = false

    @Option(name: .long, help: "Worker threads for each stage.")
    var threads: Int = 2

    @Flag(name: .long, help: "Print the stages as JSON (name, command line, product, inputs; file names in the output folder; what each reads of the pipeline file) and exit.")
    var printPlan = false

    @Flag(name: .long, help: "Print the pipeline file's settings as JSON, every default filled in, and exit.")
    var printSettings = false

    func run() throws {
        if printSettings {
            try printJSON(try PipelineConfig.load(path: pipeline))
            return
        }
        if printPlan {
            let plan = PipelinePlan(config: try PipelineConfig.load(path: pipeline))
            let name = { (path: String) in (path as NSString).lastPathComponent }
            try printJSON(plan.steps.map {
                PlannedStage(name: $0.name, arguments: $0.arguments, output: $0.output.map(name), inputs: $0.inputs.map(name),
                             reads: $0.settings)
            })
            return
        }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? Bundle.main.executablePath ?? CommandLine.arguments[0]
        try PipelineRun.execute(pipeline: pipeline, options: .init(from: from, until: until, force: force, dryRun: dryRun,
                                                                   threads: threads),
                                executable: executable, parse: { _ = try Digs.parseAsRoot($0) }, log: progress,
                                report: { print($0) })
    }
}

/// One stage of `digs run --print-plan`.
struct PlannedStage: Encodable {
    let name: String
    let arguments: [String]
    let output: String?
    let inputs: [String]
    /// JSON text of the settings the stage reads (`StageReads`): what its fingerprint holds.
    let reads: String
}
