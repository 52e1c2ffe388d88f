import DigsCore
import SpectralSynthesis

/// Nebular emission settings: Cloudy lines + continuum for populations younger than
/// `maxAgeYr`, at one ionisation parameter and the stellar metallicity.
public struct NebularSettings: Settings {
    public var enabled = true
    /// log10 of the ionisation parameter U (grids: −4 … 0).
    public var logU = -2.0
    /// Populations younger than this (yr) emit nebular light.
    public var maxAgeYr = 1e7

    public static let paper = NebularSettings()

    public init() {}

    public init(enabled: Bool, logU: Double, maxAgeYr: Double) {
        self.enabled = enabled
        self.logU = logU
        self.maxAgeYr = maxAgeYr
    }

    enum CodingKeys: String, CodingKey { case enabled, logU = "log_u", maxAgeYr = "max_age_yr" }

    public func validate() throws {
        guard logU.isFinite, maxAgeYr.isFinite, maxAgeYr >= 0 else {
            throw DigsError.invalidInput(field: "model.nebular", problem: "needs a finite log_u and max_age_yr ≥ 0 (are \(logU), \(maxAgeYr))")
        }
    }
}

/// Everything the forward model θ → x needs besides the SSP library (README: the forward model).
public struct ModelSettings: Settings {
    public var parameters = PriorSet.paper
    /// The star-formation-history family and its settings (`model.sfh`).
    public var sfh = SFHChoice()
    public var dust = DustLaw.calzetti
    public var nebular = NebularSettings()
    public var instrument = InstrumentSettings()

    /// The paper's configuration (its public code).
    public static let paper = ModelSettings()

    public init() {}

    public init(parameters: PriorSet, sfh: SFHChoice = SFHChoice(), dust: DustLaw, nebular: NebularSettings, instrument: InstrumentSettings) {
        self.parameters = parameters
        self.sfh = sfh
        self.dust = dust
        self.nebular = nebular
        self.instrument = instrument
    }

    /// The model's star-formation history.
    public var history: any StarFormationHistory { sfh.history }

    /// The names and descriptions of this model's parameters and derived quantities.
    public var vocabulary: ParameterVocabulary { ParameterVocabulary(history) }

    public func validate() throws {
        try history.validate(oldestAge: AgeBins.universeAge)
        try history.check(parameters, oldestAge: AgeBins.universeAge)
        try nebular.validate()
        try instrument.validate()
    }
}
