import ArgumentParser

/// The `digs` command: one subcommand per pipeline stage, plus product tools.
@main
struct Digs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digs",
        abstract: "DIGS: Deep Inference of Galaxy Spectra — calibrated posteriors of galaxy parameters from spectra.",
        discussion: """
        Every stage reads versioned HDF5 products and writes exactly one new product.
        Run `digs <stage> --help` for a stage's inputs, outputs and settings.
        """,
        version: digsVersionString,
        groupedSubcommands: [
            CommandGroup(name: "Stages", subcommands: [SSP.self, SamplePrior.self, Simulate.self, Augment.self, Train.self,
                                                   Observe.self, Ingest.self, Infer.self, SBC.self, MCMCCommand.self, Compare.self,
                                                   Export.self, Plot.self, Report.self]),
            CommandGroup(name: "Pipelines", subcommands: [Run.self, Merge.self]),
            CommandGroup(name: "Product tools", subcommands: [Validate.self, Inspect.self, Benchmark.self]),
        ]
    )
}
