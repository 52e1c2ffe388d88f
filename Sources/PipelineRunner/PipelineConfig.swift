import DigsCore
import ForwardModel
import Foundation
import Inference
import MCMC
import NeuralFlows
import SpectrumIngest
import Yams

/// A pipeline file (`pipelines/*.yaml`): names, seed, output folder and every stage's
/// settings. Absent sections take the defaults (the paper's configuration).
public struct PipelineConfig: Settings {
    public var name = "default"
    public var seed: UInt64 = 1
    /// Output folder of the products, relative to the working directory (default:
    /// `products/<name>`).
    public var output = "products/default"
    public var ssp = SSPSettings()
    public var model = ModelSection()
    public var samplePrior = SamplePriorSettings()
    public var augment = AugmentSettings()
    public var train = TrainingSettings()
    public var infer = InferSettings()
    public var mcmc = MCMCSettings()
    public var observed = ObservedSettings()

    public init() {}

    /// The observed set: a table of real (or realistic) spectra that `digs run` ingests, infers,
    /// exports and plots after the test set. Its reader and conversion settings sit beside the
    /// table (`format`, `flux_unit`, `medium`, `cosmology`, `ebv_mag`, `r_v`,
    /// `minimum_coverage`); `digs ingest` takes them as its defaults.
    public struct ObservedSettings: Settings {
        /// Object table (CSV or FITS, `ObjectTable`), relative to the working directory; nil:
        /// the pipeline has no observed set.
        public var table: String? = nil
        /// `digs run` draws the fit figure of the first this many objects (0: none); at
        /// ~60 ms per figure a survey's millions are for `digs plot fit --every-galaxy` on a cluster.
        public var fitFigures = 100
        public var ingest = IngestSettings()

        public init() {}

        enum CodingKeys: String, CodingKey { case table, fitFigures = "fit_figures" }

        // One flat section: `table` and `fit_figures` beside the ingest settings' keys.
        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            table = try container.decodeIfPresent(String.self, forKey: .table)
            fitFigures = try container.decode(Int.self, forKey: .fitFigures)
            ingest = try IngestSettings(from: decoder)
        }

        public func encode(to encoder: Encoder) throws {
            try ingest.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(table, forKey: .table)
            try container.encode(fitFigures, forKey: .fitFigures)
        }

        public func validate() throws {
            if let table, table.isEmpty { throw DigsError.invalidInput(field: "observed.table", problem: "is empty: name an object table or leave the key out") }
            guard fitFigures >= 0 else { throw DigsError.invalidInput(field: "observed.fit_figures", problem: "must be 0 or more (is \(fitFigures))") }
            do { try ingest.validate() } catch let DigsError.invalidInput(field, problem) {
                throw DigsError.invalidInput(field: "observed.\(field)", problem: problem)
            }
        }
    }

    public struct SSPSettings: Settings {
        /// Folder for the downloaded wheel and unpacked grids.
        public var cache = "products/cache"
        /// Wavelengths kept from the source grids, Å.
        public var wavelengthMin = 900.0
        public var wavelengthMax = 25000.0

        public init() {}

        enum CodingKeys: String, CodingKey { case cache, wavelengthMin = "wavelength_min", wavelengthMax = "wavelength_max" }

        public func validate() throws {
            guard wavelengthMin > 0, wavelengthMin.isFinite, wavelengthMax.isFinite, wavelengthMin < wavelengthMax else {
                throw DigsError.invalidInput(field: "ssp.wavelength_min",
                                             problem: "and ssp.wavelength_max must be finite with 0 < wavelength_min < wavelength_max (are \(wavelengthMin), \(wavelengthMax) Å)")
            }
        }
    }

    /// Sizes of the theta grids drawn from the prior.
    public struct SamplePriorSettings: Settings {
        /// Parameter vectors for the training set (noiseless base spectra).
        public var train = 10_000
        /// Parameter vectors for the held-out test set.
        public var test = 1000

        public init() {}

        public func validate() throws {
            for (name, count) in [("train", train), ("test", test)] where count < 1 {
                throw DigsError.invalidInput(field: "sample_prior.\(name)", problem: "must be at least 1 (is \(count))")
            }
        }
    }

    enum CodingKeys: String, CodingKey { case name, seed, output, ssp, model, samplePrior = "sample_prior", augment, train, infer, mcmc, observed }

    /// The built-in defaults (no pipeline file).
    public static let defaults = PipelineConfig()

    /// Decodes a pipeline file's YAML laid over the encoded defaults (`SettingsTree`): every
    /// key the file leaves out takes its type's default; `output` defaults to `products/<name>`.
    static func decode(_ text: String) throws -> PipelineConfig {
        let given = try Yams.compose(yaml: text) ?? Node.mapping(Node.Mapping([]))
        // JSON is YAML, and JSONEncoder writes every number so that it reads back exactly
        // (YAMLEncoder keeps 15 digits: log10(1.05) would come back changed).
        let defaults = try Yams.compose(yaml: String(decoding: try JSONEncoder().encode(PipelineConfig()), as: UTF8.self))!
        var config = try YAMLDecoder().decode(PipelineConfig.self, from: SettingsTree.lay(given, over: defaults))
        if given.mapping?["output"] == nil { config.output = "products/\(config.name)" }
        return config
    }

    /// Reads a pipeline file and checks all of it before any stage runs. Errors name the
    /// file, the key path, its line, the value's problem and what was expected: YAML syntax
    /// (line and column), keys set twice, keys DIGS does not know (with the nearest valid
    /// one), values of the wrong type and values outside their range in any section.
    public static func load(path: String) throws -> PipelineConfig {
        let text = try readTextFile(path)
        let checks: PipelineFileChecks
        do {
            checks = try PipelineFileChecks(text: text)
        } catch {
            throw Self.describe(error, path: path, checks: nil)
        }
        if let (key, line) = checks.duplicateKey() {
            throw DigsError.invalidProduct(path: path, field: Self.located(key, line), problem: "is set twice")
        }
        for (old, new) in Self.movedKeys {
            if let line = checks.line(ofExactly: old) {
                throw DigsError.invalidProduct(path: path, field: Self.located(old, line),
                                               problem: "has moved: the observation model is one section now; write it as \(new)")
            }
        }
        let config: PipelineConfig
        do {
            config = try Self.decode(text)
        } catch {
            throw Self.describe(error, path: path, checks: checks)
        }
        let resolved: Any
        do {
            resolved = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config))
        } catch let EncodingError.invalidValue(value, context) {
            // Only a number that is not finite (YAML .nan, .inf) fails to encode.
            let field = keyPath(context.codingPath)
            throw DigsError.invalidProduct(path: path, field: located(field, checks.line(of: field)),
                                           problem: "is \(value); expected a finite number")
        }
        if let (key, line, suggestion) = checks.unknownKey(resolved: resolved) {
            throw DigsError.invalidProduct(path: path, field: Self.located(key, line),
                                           problem: "is not a setting DIGS knows" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
        }
        do {
            try config.validate()
        } catch {
            throw Self.describe(error, path: path, checks: checks)
        }
        return config
    }

    /// Keys of earlier pipeline files that now live elsewhere, with their new place.
    static let movedKeys: [(String, String)] = ["noise", "model_error_dex", "flux_calibration", "emission_line_mask"].map {
        ("augment.\($0)", "model.observation.\($0)")
    }

    /// Every section's settings, checked together (the stages check them again when they run).
    public func validate() throws {
        try ssp.validate()
        try model.validate()
        try samplePrior.validate()
        try augment.validate()
        try train.validate()
        try infer.validate()
        _ = try EnsembleSampler(dimensions: model.parameters.count, walkers: mcmc.resolvedWalkers)
        try mcmc.validate()
        try observed.validate()
    }

    /// Refuses settings whose products would not fit on the output's disk, or whose `stages`
    /// (all of them when nil) would not fit in memory (`ResourceEstimate`).
    public func checkResources(stages: Set<String>? = nil, source: String) throws {
        do {
            try ResourceEstimate(self).check(output: output, stages: stages)
        } catch let DigsError.invalidInput(field, problem) {
            throw DigsError.invalidProduct(path: source, field: field, problem: problem)
        }
    }

    static func located(_ field: String, _ line: Int?) -> String {
        line.map { "\(field) (line \($0))" } ?? field
    }

    /// A decoding or validation error as a DigsError naming the file, the key and its line;
    /// errors the YAML decoder wraps are unwrapped so their own message survives.
    static func describe(_ error: Error, path: String, checks: PipelineFileChecks?) -> DigsError {
        func at(_ codingPath: [CodingKey], _ problem: String) -> DigsError {
            let field = keyPath(codingPath)
            return .invalidProduct(path: path, field: located(field.isEmpty ? "settings" : field, checks?.line(of: field)), problem: problem)
        }
        switch error {
        case let DigsError.invalidInput(field, problem):
            return .invalidProduct(path: path, field: located(field, checks?.line(of: field)), problem: problem)
        case let error as DigsError:
            return .invalidProduct(path: path, field: "settings", problem: error.description)
        case let DecodingError.dataCorrupted(context):
            if case let DigsError.invalidInput(field, problem)? = context.underlyingError as? DigsError, !context.codingPath.isEmpty {
                return at(context.codingPath, "\(field): \(problem)")
            }
            if let underlying = context.underlyingError { return describe(underlying, path: path, checks: checks) }
            return at(context.codingPath, context.debugDescription)
        case let DecodingError.keyNotFound(key, context):
            return at(context.codingPath + [key], "is required")
        case let DecodingError.typeMismatch(type, context):
            return at(context.codingPath, "expected \(Self.typeName(type)): \(context.debugDescription)")
        case let DecodingError.valueNotFound(type, context):
            return at(context.codingPath, "expected \(Self.typeName(type)), found nothing")
        case let YamlError.scanner(_, problem, mark, _), let YamlError.parser(_, problem, mark, _),
             let YamlError.composer(_, problem, mark, _):
            return .unreadableFile(path: path, reason: "invalid YAML at line \(mark.line), column \(mark.column): \(problem)")
        case let YamlError.duplicatedKeysInMapping(duplicates, context):
            return .invalidProduct(path: path, field: located(duplicates.joined(separator: ", "), context.mark.line),
                                   problem: "is set twice in one mapping")
        default:
            return .unreadableFile(path: path, reason: "invalid YAML: \(error)")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type: return "an integer"
        case is Double.Type: return "a number"
        case is String.Type: return "text"
        case is Bool.Type: return "true or false"
        default: return "\(type)"
        }
    }

    static func keyPath(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }

    /// JSON text of a settings value with sorted keys, recorded as a product's `config`.
    public static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }
}
