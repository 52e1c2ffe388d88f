import DigsCore
import ForwardModel
import Foundation
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

    /// Reads a pipeline file; errors name the file and the offending key.
    public static func load(path: String) throws -> PipelineConfig {
        let text = try readTextFile(path)
        do {
            return try YAMLDecoder().decode(PipelineConfig.self, from: text)
        } catch let error as DigsError {
            throw DigsError.invalidProduct(path: path, field: "settings", problem: error.description)
        } catch let DecodingError.dataCorrupted(context) {
            throw DigsError.invalidProduct(path: path, field: Self.keyPath(context.codingPath), problem: context.debugDescription)
        } catch let DecodingError.keyNotFound(key, context) {
            throw DigsError.invalidProduct(path: path, field: Self.keyPath(context.codingPath + [key]), problem: "is required")
        } catch let DecodingError.typeMismatch(type, context) {
            throw DigsError.invalidProduct(path: path, field: Self.keyPath(context.codingPath), problem: "expected \(type)")
        } catch let DecodingError.valueNotFound(type, context) {
            throw DigsError.invalidProduct(path: path, field: Self.keyPath(context.codingPath), problem: "expected \(type)")
        } catch {
            throw DigsError.unreadableFile(path: path, reason: "invalid YAML: \(error)")
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
