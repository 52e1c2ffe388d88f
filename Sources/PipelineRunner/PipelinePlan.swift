import DigsCore
import Foundation
import ProductIO
import SpectrumIngest

/// The stages of a pipeline in order — each a `digs` command with the product it writes, the
/// products it reads and the settings it depends on — and the up-to-date rule `digs run`
/// applies: a stage is skipped when its product is unchanged since it was made (same content
/// digest) and its fingerprint — SHA-256 over the DIGS version, what the stage reads of the
/// pipeline file (`StageReads`) and the content digests of its inputs — is the same as now. Changing one setting therefore re-runs exactly the stages
/// downstream of it whose inputs actually change.
public struct PipelinePlan: Sendable {
    public struct Step: Sendable, Equatable {
        /// Stage name, as `--from`/`--until` take it.
        public let name: String
        /// The `digs` command of the stage.
        public let command: StageCommand
        /// Which set it works on (`--set`), when the command takes one.
        public let set: String?
        /// The product it writes (nil for a step that only prints).
        public let output: String?
        /// The products it reads.
        public let inputs: [String]
        /// JSON of what the stage reads of the pipeline file (`StageReads`, with its seed).
        public let settings: String
        /// An object table the stage reads (outside the output folder): its bytes and the size
        /// and modification time of every spectrum file it lists enter the fingerprint.
        public let objectTable: String?

        /// Words after the command (`plot`'s figure and flags).
        public let extra: [String]

        /// The `digs` command line of the stage, without `-c`, `--force` and `--threads`.
        public var arguments: [String] { command.words + extra + (set.map { [StageOption.set.flag, $0] } ?? []) }

        /// The command line `digs run` spawns with pipeline file `pipeline`.
        public func commandLine(pipeline: String, threads: Int) -> [String] {
            arguments + [StageOption.config.flag, pipeline, StageOption.force.flag, StageOption.threads.flag, "\(threads)"]
        }
    }

    public let steps: [Step]
    /// Folder of the products and of the run's bookkeeping.
    public let folder: String

    public init(config c: PipelineConfig) {
        folder = c.output
        func path(_ file: ProductFile) -> String { file.path(in: c.output) }
        // Each step's settings are the JSON of what its command reads (`StageReads`): the
        // declaration the command itself takes its settings from.
        func step<R: Encodable>(_ name: String, _ command: StageCommand, set: String? = nil, _ output: ProductFile?, _ inputs: [ProductFile],
                                reads: R?, objectTable: String? = nil, extra: [String] = []) -> Step {
            Step(name: name, command: command, set: set, output: output.map(path), inputs: inputs.map(path),
                 settings: reads.map { StageReads.json($0) } ?? "{}", objectTable: objectTable, extra: extra)
        }
        let none: StageReads.SBC? = nil
        let test = "test"
        var steps = [step("ssp", .sspImport, .sspLibrary, [], reads: StageReads.SSP(c))]
        for set in ["train", "test"] {
            steps.append(step("sample-prior-\(set)", .samplePrior, set: set, .theta(set: set), [], reads: StageReads.SamplePrior(c, set: set)))
        }
        for set in ["train", "test"] {
            steps.append(step("simulate-\(set)", .simulate, set: set, .sed(set: set), [.theta(set: set), .sspLibrary], reads: StageReads.Simulate(c)))
        }
        steps += [
            step("augment", .augment, .augmented, [.sed(set: "train")], reads: StageReads.Augment(c)),
            step("train", .train, .flow, [.augmented], reads: StageReads.Train(c)),
            step("observe", .observe, .observations(set: test), [.sed(set: test)], reads: StageReads.Observe(c)),
            step("infer", .infer, .posterior(set: test), [.flow, .observations(set: test), .sspLibrary], reads: StageReads.Infer(c)),
            step("sbc", .sbc, .sbc(set: test), [.posterior(set: test)], reads: StageReads.SBC(c)),
            step("mcmc", .mcmc, .mcmc(set: test),
                 [.observations(set: test), .sspLibrary] + (c.mcmc.initialization.readsPosterior ? [.posterior(set: test)] : []),
                 reads: StageReads.MCMC(c)),
            step("compare", .compare, nil, [.mcmc(set: test), .posterior(set: test)], reads: none),
            step("export", .export, .catalog(set: test), [.posterior(set: test), .sbc(set: test)], reads: StageReads.Export(c)),
        ]
        // The observed set, when the pipeline names an object table: ingest, infer, export, plot.
        if let table = c.observed.table {
            let observed = PipelinePlan.observedSet
            steps += [
                step("ingest", .ingest, set: observed, .observations(set: observed), [], reads: StageReads.Ingest(c), objectTable: table),
                step("infer-\(observed)", .infer, set: observed, .posterior(set: observed), [.flow, .observations(set: observed), .sspLibrary],
                     reads: StageReads.Infer(c)),
                step("export-\(observed)", .export, set: observed, .catalog(set: observed), [.posterior(set: observed), .observations(set: observed)],
                     reads: StageReads.Export(c)),
            ]
            // The fit figures of the first objects (figures/observed/fit-<id>.png and .pdf); no product.
            let plot = StageReads.PlotObserved(c)
            if plot.fitFigures > 0 {
                steps.append(step("plot-\(observed)", .plot, set: observed, nil, [.posterior(set: observed)], reads: plot,
                                  extra: ["fit", "--first-galaxies", "\(plot.fitFigures)"]))
            }
        }
        self.steps = steps
    }

    /// The set name of the pipeline file's `observed` objects.
    public static let observedSet = "observed"

    /// The steps from `first` through `last` (by name; nil = the ends).
    public func range(from first: String?, until last: String?) throws -> ArraySlice<Step> {
        func index(_ name: String, _ option: String) throws -> Int {
            guard let i = steps.firstIndex(where: { $0.name == name }) else {
                throw DigsError.invalidInput(field: option, problem: "'\(name)' is not a stage; stages: \(steps.map(\.name).joined(separator: ", "))")
            }
            return i
        }
        let start = try first.map { try index($0, "--from") } ?? 0
        let end = try last.map { try index($0, "--until") } ?? steps.count - 1
        guard start <= end else { throw DigsError.invalidInput(field: "--from/--until", problem: "'\(first!)' comes after '\(last!)'") }
        return steps[start...end]
    }

    /// Content digest of a product: the HDF5 product's own `content_digest`, or the SHA-256 of
    /// another file (the FITS catalog).
    public static func digest(of path: String) throws -> String {
        if path.hasSuffix(".h5") { return try Product.open(path, verifyContent: false).provenance.contentDigest }
        return "sha256:" + (try FileDigest.sha256(path: path))
    }

    /// What an object table and the spectrum files it lists are now: SHA-256 over the table's
    /// bytes and each listed file's path, size and modification time (a changed or replaced
    /// spectrum changes it without every file being read).
    public static func listingDigest(objectTable path: String) throws -> String {
        var hasher = SHA256()
        try MappedFile(path: path).withBytes { hasher.update(data: $0) }
        try ObjectTable.scan(path: path) { row in
            let attributes = try? FileManager.default.attributesOfItem(atPath: row.file)
            let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
            hasher.update(data: Data("\n\(row.file)\t\(size)\t\(modified)".utf8))
        }
        return "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The fingerprint of a step given the digests of its inputs (and of its object table's listing).
    public static func fingerprint(_ step: Step, inputDigests: [String], listingDigest: String? = nil) -> String {
        let text = "\(step.name)\ndigs \(digsVersion)\n\(step.settings)\n" + zip(step.inputs, inputDigests).map { "\(($0 as NSString).lastPathComponent)=\($1)" }.joined(separator: "\n")
            + (listingDigest.map { "\nobject table \(step.objectTable ?? "")=\($0)" } ?? "")
        return "sha256:" + SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// What `digs run` remembers between runs (`<output>/.digs_run_state.json`): per stage the
/// fingerprint it ran with and the digest of the product it made; rewritten atomically after
/// every stage, so an interrupted run keeps what finished.
public struct RunState: Codable, Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var fingerprint: String
        public var productDigest: String?

        public init(fingerprint: String, productDigest: String?) {
            self.fingerprint = fingerprint
            self.productDigest = productDigest
        }
    }
    public var stages: [String: Entry] = [:]

    public init() {}

    public static func path(folder: String) -> String { folder + "/.digs_run_state.json" }

    public static func load(folder: String) -> RunState {
        guard let data = FileManager.default.contents(atPath: path(folder: folder)),
              let state = try? JSONDecoder().decode(RunState.self, from: data) else { return RunState() }
        return state
    }

    public func save(folder: String) throws {
        try Self.writeAtomically(self, to: Self.path(folder: folder))
    }

    /// JSON written to a temporary file and renamed onto `path`.
    public static func writeAtomically<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try writeFileAtomically(try encoder.encode(value), to: path)
    }
}

/// One line of the run log (`<output>/run_log.json`): what each stage did, how long it took
/// and its peak memory.
public struct RunLogEntry: Codable, Sendable {
    public let stage: String
    public let status: Status
    public let started: String
    public let seconds: Double
    /// Peak resident memory of the stage's process, MB (nil when it did not run).
    public let peakMemoryMB: Double?

    /// What a stage did in a run.
    public enum Status: String, Codable, Sendable {
        case ran, upToDate = "up to date", failed
    }

    public init(stage: String, status: Status, started: String, seconds: Double, peakMemoryMB: Double?) {
        self.stage = stage
        self.status = status
        self.started = started
        self.seconds = seconds
        self.peakMemoryMB = peakMemoryMB
    }
}
