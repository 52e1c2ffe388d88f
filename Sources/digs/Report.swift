import ArgumentParser
import PipelineRunner

/// `digs report`.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.report.commandName,
        abstract: "Write one HTML page for a pipeline run: <pipeline output>/report/index.html.",
        discussion: """
        The page tells whether to trust the run: the calibration checks (SBC rank uniformity, marginal and joint \
        coverage, TARP) against their thresholds, the accuracy and calibration table per parameter, NPE against \
        MCMC, every figure of `digs plot` (drawn afresh into report/figures/, PNG linked to PDF), the wall time and \
        peak memory of each stage from `digs run`'s run log, and the provenance of every product. It is plain HTML \
        with relative links: open it from disk in any browser, no server needed. The products must belong to one \
        run: a product made from other inputs than those now beside it is refused, naming both.
        """)

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Row of the test galaxy for the corner and fit figures.")
    var galaxy: Int = 0

    @Option(name: [.short, .long], help: "Folder of the report (default: <pipeline output>/report).")
    var output: String?

    func run() throws {
        let index = try ReportStage.run(config: try common.context().pipeline, configPath: common.config, galaxy: galaxy,
                                        output: output, log: progress)
        print(index)
    }
}
