import DigsCore
import SpectralSynthesis

/// Nebular emission settings: Cloudy lines + continuum for populations younger than
/// `maxAgeYr`, at one ionisation parameter and the stellar metallicity.
public struct NebularSettings: Codable, Equatable, Sendable {
    public var enabled: Bool
    /// log10 of the ionisation parameter U (grids: −4 … 0).
    public var logU: Double
    /// Populations younger than this (yr) emit nebular light.
    public var maxAgeYr: Double

    public static let paper = NebularSettings(enabled: true, logU: -2, maxAgeYr: 1e7)

    public init(enabled: Bool, logU: Double, maxAgeYr: Double) {
        self.enabled = enabled
        self.logU = logU
        self.maxAgeYr = maxAgeYr
    }

    enum CodingKeys: String, CodingKey { case enabled, logU = "log_u", maxAgeYr = "max_age_yr" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? Self.paper.enabled
        logU = try c.decodeIfPresent(Double.self, forKey: .logU) ?? Self.paper.logU
        maxAgeYr = try c.decodeIfPresent(Double.self, forKey: .maxAgeYr) ?? Self.paper.maxAgeYr
    }
}

/// Everything the forward model θ → x needs besides the SSP library (DESIGN §3).
public struct ModelSettings: Codable, Equatable, Sendable {
    public var parameters: PriorSet
    public var dust: DustLaw
    public var nebular: NebularSettings
    public var instrument: InstrumentSettings

    /// The paper's configuration (its public code).
    public static let paper = ModelSettings(parameters: .paper, dust: .calzetti, nebular: .paper, instrument: .paper)

    public init(parameters: PriorSet, dust: DustLaw, nebular: NebularSettings, instrument: InstrumentSettings) {
        self.parameters = parameters
        self.dust = dust
        self.nebular = nebular
        self.instrument = instrument
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self.paper
        parameters = try c.decodeIfPresent(PriorSet.self, forKey: .parameters) ?? d.parameters
        dust = try c.decodeIfPresent(DustLaw.self, forKey: .dust) ?? d.dust
        nebular = try c.decodeIfPresent(NebularSettings.self, forKey: .nebular) ?? d.nebular
        instrument = try c.decodeIfPresent(InstrumentSettings.self, forKey: .instrument) ?? d.instrument
    }
}
