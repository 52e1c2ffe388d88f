import ArgumentParser
import PipelineRunner

/// `digs merge`.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the shard products of one stage (made with --shard i/N) into the product an unsharded run makes.",
        discussion: """
        Every shard 0/N … N−1/N must be given once, all made with the same settings, seed and inputs. Rows are \
        concatenated in shard order; the merged file validates against its schema, records the shards and their \
        common inputs as provenance, and has the same content digest as the unsharded product.
        """)

    @Argument(help: "The shard products.")
    var shards: [String]

    @Option(name: [.short, .long], help: "Output product path.")
    var output: String

    @Flag(name: .long, help: "Replace an existing output product.")
    var force = false

    func run() throws {
        try MergeStage.run(shards: shards, output: output, overwrite: force, log: progress)
    }
}
