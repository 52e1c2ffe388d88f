import ArgumentParser
import DigsCore
import Foundation
import NeuralFlows
import PipelineRunner

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
        if let problem = unknownCommand(Array(CommandLine.arguments.dropFirst())) {
            FileHandle.standardError.write(Data((problem + "\n").utf8))
            Foundation.exit(64)  // the parser's own exit status for a usage error
        }
        do {
            var command = try parseAsRoot(nil)
            try command.run()
        } catch {
            exit(withError: withoutPipelineHint(error, arguments: Array(CommandLine.arguments.dropFirst())))
        }
    }

    /// A default product that is missing where no pipeline file was given (`digs infer` alone)
    /// says so: the defaults name `products/default/…`, which a newcomer never made.
    static func withoutPipelineHint(_ error: Error, arguments: [String]) -> Error {
        guard case let DigsError.fileNotFound(path) = error, path.hasPrefix(PipelineConfig.defaults.output + "/"),
              !arguments.contains(where: { $0 == "-c" || $0.hasPrefix("--config") }) else { return error }
        return DigsError.unreadableFile(path: path, reason: "no such file — no pipeline file was given, so the default products are read; give one with -c <pipeline.yaml> (e.g. -c pipelines/quickstart.yaml)")
    }

    /// The message for a first word that is no command (`digs infr -c smoke.yaml`): the nearest
    /// command and the list, instead of the parser's complaint about the options that follow.
    static func unknownCommand(_ arguments: [String]) -> String? {
        guard let word = arguments.first, !word.hasPrefix("-") else { return nil }
        let names = configuration.groupedSubcommands.flatMap(\.subcommands).map { $0._commandName } + ["help"]
        guard !names.contains(word) else { return nil }
        let hint = Spelling.nearest(word, in: names).map { " (did you mean '\($0)'?)" } ?? ""
        return "Error: '\(word)' is not a digs command\(hint). Commands: \(names.dropLast().joined(separator: ", ")); see 'digs --help'."
    }
}
