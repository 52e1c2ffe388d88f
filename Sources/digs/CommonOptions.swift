import ArgumentParser
import PipelineRunner

/// Options every stage shares.
struct CommonOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .long], help: "Pipeline file (YAML) with the stage settings; defaults are the paper's.")
    var config: String?

    @Flag(name: .long, help: "Replace an existing output product.")
    var force = false

    @Option(name: .long, help: "Worker threads.")
    var threads: Int = 2

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    /// The pipeline settings: the file given with --config, or the built-in defaults.
    func pipeline() throws -> PipelineConfig {
        try config.map { try PipelineConfig.load(path: $0) } ?? .defaults
    }

    /// `explicit`, or `<pipeline output>/<name>` when not given.
    func outputPath(_ explicit: String?, default name: String) throws -> String {
        if let explicit { return explicit }
        return try pipeline().output + "/" + name
    }
}

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

import Foundation

/// `--shard i/N` of the stages that split their rows across machines.
struct ShardOption: ParsableArguments {
    @Option(name: .long, help: "Process only slice i of N of the rows (0 ≤ i < N); `digs merge` joins the slices.")
    var shard: String?

    func value() throws -> Shard { try shard.map { try Shard(parsing: $0) } ?? .whole }
}
