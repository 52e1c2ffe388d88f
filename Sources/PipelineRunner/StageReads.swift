import DigsCore
import ForwardModel
import Inference
import MCMC
import NeuralFlows
import SpectralSynthesis
import SpectrumIngest

/// What each stage reads of a pipeline file, declared once. The `digs` command of a stage takes
/// its settings from here and nowhere else, and `PipelinePlan` fingerprints the JSON of the same
/// value, so a setting a stage reads always re-runs that stage when it changes. (A setting that
/// is in no declaration is read by no stage: `ssp.cache` only says where the downloaded
/// library is kept.)
public enum StageReads {
    /// `digs ssp import`: the wavelength range kept from the SSP grids, and the cache folder of
    /// the downloaded library — a location, not a content (the same wheel, checked by its
    /// digest, wherever it is kept), so it is left out of the fingerprint.
    public struct SSP: Codable, Sendable {
        public var settings: PipelineConfig.SSPSettings
        public init(_ c: PipelineConfig) { settings = c.ssp }
        enum CodingKeys: String, CodingKey { case wavelengthMin = "wavelength_min", wavelengthMax = "wavelength_max" }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            settings = PipelineConfig.SSPSettings()
            settings.wavelengthMin = try c.decode(Double.self, forKey: .wavelengthMin)
            settings.wavelengthMax = try c.decode(Double.self, forKey: .wavelengthMax)
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(settings.wavelengthMin, forKey: .wavelengthMin)
            try c.encode(settings.wavelengthMax, forKey: .wavelengthMax)
        }
    }

    /// `digs sample-prior`: the priors, how many draws for the set, the seed.
    public struct SamplePrior: Codable, Sendable {
        public var priors: PriorSet
        public var count: Int
        public var seed: UInt64
        public init(_ c: PipelineConfig, set: String) {
            (priors, count, seed) = (c.model.parameters, set == "train" ? c.samplePrior.train : c.samplePrior.test, c.seed)
        }
    }

    /// `digs simulate`: the forward model (not the observation model: simulated spectra are noiseless).
    public struct Simulate: Codable, Sendable {
        public var model: ModelSettings
        public init(_ c: PipelineConfig) { model = c.model.forward }
    }

    /// `digs augment`: realisations, the observation model whose noise and nuisances it draws, the seed.
    public struct Augment: Codable, Sendable {
        public var augment: AugmentSettings
        public var observation: ObservationModel
        public var seed: UInt64
        public init(_ c: PipelineConfig) { (augment, observation, seed) = (c.augment, c.model.observation, c.seed) }
    }

    /// `digs train`: the training settings, the priors (the flow's box), the seed.
    public struct Train: Codable, Sendable {
        public var train: TrainingSettings
        public var priors: PriorSet
        public var seed: UInt64
        public init(_ c: PipelineConfig) { (train, priors, seed) = (c.train, c.model.parameters, c.seed) }
    }

    /// `digs observe`: the observation model and the seed of its draws.
    public struct Observe: Codable, Sendable {
        public var observation: ObservationModel
        public var seed: UInt64
        public init(_ c: PipelineConfig) { (observation, seed) = (c.model.observation, c.seed) }
    }

    /// `digs infer`: its settings, the forward and observation models (the exact likelihood of
    /// the importance weights and the predictive check), the seed.
    public struct Infer: Codable, Sendable {
        public var infer: InferSettings
        public var model: ModelSettings
        public var observation: ObservationModel
        public var seed: UInt64
        public init(_ c: PipelineConfig) { (infer, model, observation, seed) = (c.infer, c.model.forward, c.model.observation, c.seed) }
    }

    /// `digs sbc`: the seed (ties between ranks are broken at random).
    public struct SBC: Codable, Sendable {
        public var seed: UInt64
        public init(_ c: PipelineConfig) { seed = c.seed }
    }

    /// `digs mcmc`: its schedule, the forward and observation models of the likelihood, the seed.
    public struct MCMC: Codable, Sendable {
        public var mcmc: MCMCSettings
        public var model: ModelSettings
        public var observation: ObservationModel
        public var seed: UInt64
        public init(_ c: PipelineConfig) { (mcmc, model, observation, seed) = (c.mcmc, c.model.forward, c.model.observation, c.seed) }
    }

    /// `digs export`: the pipeline's name (the catalog's header).
    public struct Export: Codable, Sendable {
        public var pipeline: String
        public init(_ c: PipelineConfig) { pipeline = c.name }
    }

    /// `digs ingest`: the object table, its reader and conversion settings, and the instrument
    /// grid the spectra are resampled onto.
    public struct Ingest: Codable, Sendable {
        public var table: String?
        public var ingest: IngestSettings
        public var instrument: InstrumentSettings
        public init(_ c: PipelineConfig) { (table, ingest, instrument) = (c.observed.table, c.observed.ingest, c.model.instrument) }
    }

    /// `digs plot fit` of the observed set: how many objects get a figure.
    public struct PlotObserved: Codable, Sendable {
        public var fitFigures: Int
        public init(_ c: PipelineConfig) { fitFigures = c.observed.fitFigures }
        enum CodingKeys: String, CodingKey { case fitFigures = "fit_figures" }
    }

    /// JSON text with sorted keys: what a product records as its `config` and the plan fingerprints.
    public static func json<T: Encodable>(_ value: T) -> String { PipelineConfig.json(value) }
}
