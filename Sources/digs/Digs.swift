import ArgumentParser
import Foundation
import NeuralFlows

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

    /// Starts itself again with `OPENBLAS_CORETYPE` set where OpenBLAS fell back to its generic
    /// kernels on a CPU it does not know (`BLASKernels`); then parses the command line.
    static func main() {
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
           let core = BLASKernels.preferredCoreType(coreName: BLASKernels.coreName, cpuFlags: BLASKernels.cpuFlags()) {
            setenv("OPENBLAS_CORETYPE", core, 1)
            let argv = CommandLine.arguments.map { strdup($0) } + [nil]
            execv("/proc/self/exe", argv)
            // Not restarted (no /proc): the generic kernels compute the same products, slower.
            argv.forEach { free($0) }
        }
        main(nil)
    }
}
