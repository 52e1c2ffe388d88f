import DigsCore

/// The quantities a forward model declares: its parameters θ and the quantities it derives for
/// every θ. The products, the catalog (column names, units, UCDs, comments) and the report take
/// names and descriptions from here. log_mass, log_z and dust2 are every model's; its
/// star-formation history (`StarFormationHistory`) brings the rest.
public struct ParameterVocabulary: Sendable {
    /// The model's parameters, in the family's default order (log_mass, the SFH's, log_z, dust2).
    public let parameters: [QuantityDescription]
    /// Quantities `SpectrumSimulator` derives for every θ (the sed_set holds them all), in its order.
    public let derived: [QuantityDescription]
    /// The derived quantities `digs infer` computes for every posterior sample.
    public let posteriorDerived: [QuantityDescription]

    static func q(_ name: String, _ units: String, _ fits: String, _ ucd: String, _ meaning: String) -> QuantityDescription {
        QuantityDescription(name: name, units: units, fitsName: fits, ucd: ucd, meaning: meaning)
    }

    /// The parameters every model has.
    static let logMass = q("log_mass", "log(solMass)", "LOG_MASS", "phys.mass", "log10 of the stellar mass formed")
    static let trailing = [q("log_z", "", "LOG_Z", "phys.abund.Z", "stellar metallicity log10(Z/Zsun)"),
                           q("dust2", "", "DUST2", "phys.absorption.opticalDepth", "optical depth of diffuse dust at 5500 Angstrom")]
    /// What every model derives from its mass per age bin.
    static let livingMass = q("log_surviving_mass", "log(solMass)", "LOGMSTAR", "phys.mass", "log10 of the stellar mass in living stars (remnants excluded)")
    static let massWeightedAge = q("mass_weighted_age", "Gyr", "MWAGE", "time.age", "mean age of the living stellar mass")
    static let history = [
        q("log_sfr_100", "log(solMass/yr)", "LOG_SFR100", "phys.SFR", "log10 of the star-formation rate averaged over the last 100 Myr"),
        q("log_ssfr_100", "log(1/yr)", "LOG_SSFR100", "phys.SFR;arith.ratio", "log10 of SFR over the last 100 Myr per surviving stellar mass"),
        q("t50", "Gyr", "T50", "time.age", "lookback time by which half of the stellar mass formed had formed"),
        q("t90", "Gyr", "T90", "time.age", "lookback time by which 90 per cent of the stellar mass formed had formed"),
    ]

    /// The vocabulary of a model with the star-formation history `history`.
    public init(_ history: any StarFormationHistory) {
        parameters = [Self.logMass] + history.parameters + Self.trailing
        derived = [Self.livingMass, Self.massWeightedAge] + Self.history + history.derived
        posteriorDerived = [Self.livingMass, Self.massWeightedAge] + Self.history
    }

    /// The vocabulary of every registered family, with its default settings.
    public static var all: [ParameterVocabulary] { StarFormationHistories.registered.map { ParameterVocabulary($0.init()) } }

    /// The description of `name` in any model's vocabulary, or the undeclared one.
    public static func describe(_ name: String, units: String) -> QuantityDescription {
        all.lazy.compactMap { v in (v.parameters + v.derived).first { $0.name == name } }.first
            ?? .undeclared(name, units: units)
    }
}
