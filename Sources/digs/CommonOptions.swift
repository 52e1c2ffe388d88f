import ArgumentParser
import DigsCore
import Foundation
import PipelineRunner

/// Options every stage shares; `context(set:)` reads the pipeline file once for the command.
struct CommonOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .customLong(StageOption.config.rawValue)],
            help: "Pipeline file (YAML) with the stage settings; defaults are the paper's.")
    var config: String?

    @Flag(name: .customLong(StageOption.force.rawValue), help: "Replace an existing output product.")
    var force = false

    @Option(name: .customLong(StageOption.threads.rawValue), help: "Worker threads.")
    var threads: Int = 2

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    /// The pipeline settings (the file given with --config, or the built-in defaults), read
    /// once, with the set the command works on.
    func context(set: String = "test") throws -> StageContext {
        StageContext(pipeline: try config.map { try PipelineConfig.load(path: $0) } ?? .defaults,
                     source: config ?? "the default settings", set: set)
    }
}

/// What a stage command resolves its defaults against: the pipeline, parsed once per process,
/// and the set its default product paths name.
struct StageContext {
    let pipeline: PipelineConfig
    /// The pipeline file, for messages.
    let source: String
    let set: String

    /// `file` in the pipeline's output folder.
    func path(_ file: ProductFile) -> String { file.path(in: pipeline.output) }

    /// Refuses settings whose products or memory for `stage` would not fit (`ResourceEstimate`).
    func checkResources(_ stage: String) throws { try pipeline.checkResources(stages: [stage], source: source) }
}

/// `--seed`.
struct SeedOption: ParsableArguments {
    @Option(name: .customLong(StageOption.seed.rawValue), help: "Seed (default: the pipeline's seed).")
    var seed: UInt64?

    func value(_ context: StageContext) -> UInt64 { seed ?? context.pipeline.seed }
}

/// `-o/--output`.
struct OutputOption: ParsableArguments {
    @Option(name: [.short, .customLong(StageOption.output.rawValue)],
            help: "Output path (default: in the pipeline's output folder, named in the description above).")
    var output: String?

    /// The output path, checked before the stage computes anything: not a directory, and not
    /// inside a path that is a file.
    func path(_ context: StageContext, default file: ProductFile) throws -> String {
        let path = output ?? context.path(file)
        try requireOutputPath(path)
        return path
    }
}

/// `--set`: which set the default paths name (train, test, or an ingested set).
struct SetOption: ParsableArguments {
    @Option(name: .customLong(StageOption.set.rawValue), help: "Which set, for the default paths (default: test; simulate and sample-prior: train; ingest: observed).")
    var set: String?

    func name(default value: String = "test") -> String { set ?? value }
}

/// A product a stage reads, named by its option (`StageOption.productRead`).
protocol ProductRole {
    static var option: StageOption { get }
}

/// `--<role>`: an input product, by default the pipeline's own.
struct ProductOption<Role: ProductRole>: ParsableArguments {
    @Option(name: .customLong(Role.option.rawValue),
            help: ArgumentHelp("\(Role.option.productRead!.kind) (default: <pipeline output>/\(Role.option.productRead!.file("<set>").fileName)).",
                               valueName: "path"))
    var path: String?

    /// The given path, or the pipeline's product for `set` (default: the command's set).
    func resolve(_ context: StageContext, set: String? = nil) -> String {
        path ?? context.path(Role.option.productRead!.file(set ?? context.set))
    }

    /// Whether the path was given on the command line.
    var isGiven: Bool { path != nil }
}

enum SSPInput: ProductRole { static let option = StageOption.ssp }
enum ThetaInput: ProductRole { static let option = StageOption.theta }
enum SEDInput: ProductRole { static let option = StageOption.sed }
enum AugmentedInput: ProductRole { static let option = StageOption.data }
enum FlowInput: ProductRole { static let option = StageOption.flow }
enum ObservationsInput: ProductRole { static let option = StageOption.observations }
enum PosteriorInput: ProductRole { static let option = StageOption.posterior }
enum SBCInput: ProductRole { static let option = StageOption.sbc }
enum MCMCInput: ProductRole { static let option = StageOption.mcmc }

/// Prints a value as JSON with sorted keys on standard output (for scripts).
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Writes progress lines to standard error so standard output stays clean for data.
func progress(_ line: String) {
    var stderr = StandardError()
    print(line, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}

/// `--shard i/N` of the stages that split their rows across machines.
struct ShardOption: ParsableArguments {
    @Option(name: .customLong(StageOption.shard.rawValue),
            help: "Process only slice i of N of the rows (0 ≤ i < N); `digs merge` joins the slices.")
    var shard: String?

    func value() throws -> Shard { try shard.map { try Shard(parsing: $0) } ?? .whole }
}
