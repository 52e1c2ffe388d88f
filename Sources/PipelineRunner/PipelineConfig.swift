import DigsCore
import ForwardModel
import Foundation
import MCMC
import NeuralFlows
import Yams

/// A pipeline file (`pipelines/*.yaml`): names, seed, output folder and every stage's
/// settings. Absent sections take the defaults of DESIGN §3 (the paper's configuration).
public struct PipelineConfig: Codable, Equatable, Sendable {
    public var name: String
    public var seed: UInt64
    /// Output folder of the products, relative to the working directory.
    public var output: String
    public var ssp: SSPSettings
    public var model: ModelSettings
    public var samplePrior: SamplePriorSettings
    public var augment: AugmentSettings
    public var train: TrainingSettings
    public var infer: InferSettings
    public var mcmc: MCMCSettings

    public struct SSPSettings: Codable, Equatable, Sendable {
        /// Folder for the downloaded wheel and unpacked grids.
        public var cache: String
        /// Wavelengths kept from the source grids, Å.
        public var wavelengthMin: Double
        public var wavelengthMax: Double

        public static let defaults = SSPSettings(cache: "products/cache", wavelengthMin: 900, wavelengthMax: 25000)

        public init(cache: String, wavelengthMin: Double, wavelengthMax: Double) {
            self.cache = cache
            self.wavelengthMin = wavelengthMin
            self.wavelengthMax = wavelengthMax
        }

        enum CodingKeys: String, CodingKey { case cache, wavelengthMin = "wavelength_min", wavelengthMax = "wavelength_max" }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            cache = try c.decodeIfPresent(String.self, forKey: .cache) ?? Self.defaults.cache
            wavelengthMin = try c.decodeIfPresent(Double.self, forKey: .wavelengthMin) ?? Self.defaults.wavelengthMin
            wavelengthMax = try c.decodeIfPresent(Double.self, forKey: .wavelengthMax) ?? Self.defaults.wavelengthMax
        }

        public func validate() throws {
            guard wavelengthMin > 0, wavelengthMin.isFinite, wavelengthMax.isFinite, wavelengthMin < wavelengthMax else {
                throw DigsError.invalidInput(field: "ssp.wavelength_min",
                                             problem: "and ssp.wavelength_max must be finite with 0 < wavelength_min < wavelength_max (are \(wavelengthMin), \(wavelengthMax) Å)")
            }
        }
    }

    /// Sizes of the theta grids drawn from the prior.
    public struct SamplePriorSettings: Codable, Equatable, Sendable {
        /// Parameter vectors for the training set (noiseless base spectra).
        public var train: Int
        /// Parameter vectors for the held-out test set.
        public var test: Int

        public static let defaults = SamplePriorSettings(train: 10_000, test: 1000)

        public init(train: Int, test: Int) {
            self.train = train
            self.test = test
        }

        public func validate() throws {
            for (name, count) in [("train", train), ("test", test)] where count < 1 {
                throw DigsError.invalidInput(field: "sample_prior.\(name)", problem: "must be at least 1 (is \(count))")
            }
        }
    }

    enum CodingKeys: String, CodingKey { case name, seed, output, ssp, model, samplePrior = "sample_prior", augment, train, infer, mcmc }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "default"
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
        output = try c.decodeIfPresent(String.self, forKey: .output) ?? "products/\(name)"
        ssp = try c.decodeIfPresent(SSPSettings.self, forKey: .ssp) ?? .defaults
        model = try c.decodeIfPresent(ModelSettings.self, forKey: .model) ?? .paper
        samplePrior = try c.decodeIfPresent(SamplePriorSettings.self, forKey: .samplePrior) ?? .defaults
        augment = try c.decodeIfPresent(AugmentSettings.self, forKey: .augment) ?? .defaults
        train = try c.decodeIfPresent(TrainingSettings.self, forKey: .train) ?? TrainingSettings()
        infer = try c.decodeIfPresent(InferSettings.self, forKey: .infer) ?? InferSettings()
        mcmc = try c.decodeIfPresent(MCMCSettings.self, forKey: .mcmc) ?? MCMCSettings()
    }

    /// The built-in defaults (no pipeline file).
    public static let defaults: PipelineConfig = try! YAMLDecoder().decode(PipelineConfig.self, from: "name: default")

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
        let config: PipelineConfig
        do {
            config = try YAMLDecoder().decode(PipelineConfig.self, from: text)
        } catch {
            throw Self.describe(error, path: path, checks: checks)
        }
        let resolved = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config))
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

    /// Every section's settings, checked together (the stages check them again when they run).
    public func validate() throws {
        try ssp.validate()
        try samplePrior.validate()
        try augment.validate(pixels: model.instrument.pixels)
        try train.validate()
        try infer.validate()
        try mcmc.validate()
        _ = try EnsembleSampler(dimensions: model.parameters.count, walkers: mcmc.walkers)
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
