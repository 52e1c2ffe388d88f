import DigsCore

/// The quantities a forward model declares: its parameters θ and the quantities it derives for
/// every θ. The products, the catalog (column names, units, UCDs, comments) and the report take
/// names and descriptions from here; a model with another star-formation history declares its
/// own vocabulary and adds it to `all`.
public struct ParameterVocabulary: Sendable {
    /// The model's parameters, in `ModelParameter` order.
    public let parameters: [QuantityDescription]
    /// Quantities `SpectrumSimulator` derives for every θ (the sed_set holds them all).
    public let derived: [QuantityDescription]
    /// The derived quantities `digs infer` computes for every posterior sample.
    public let posteriorDerived: [QuantityDescription]

    /// The delayed-τ model of DESIGN §3.
    public static let delayedTau: ParameterVocabulary = {
        func q(_ name: String, _ units: String, _ fits: String, _ ucd: String, _ meaning: String) -> QuantityDescription {
            QuantityDescription(name: name, units: units, fitsName: fits, ucd: ucd, meaning: meaning)
        }
        let livingMass = q("log_surviving_mass", "log(solMass)", "LOGMSTAR", "phys.mass", "log10 of the stellar mass in living stars (remnants excluded)")
        let massWeightedAge = q("mass_weighted_age", "Gyr", "MWAGE", "time.age", "mean age of the living stellar mass")
        return ParameterVocabulary(
            parameters: [
                q("log_mass", "log(solMass)", "LOG_MASS", "phys.mass", "log10 of the stellar mass formed"),
                q("t_age", "Gyr", "T_AGE", "time.age", "age of the galaxy (time since star formation began)"),
                q("log_tau", "log(Gyr)", "LOG_TAU", "time.scale", "log10 of the e-folding time of the delayed-tau SFH"),
                q("log_z", "", "LOG_Z", "phys.abund.Z", "stellar metallicity log10(Z/Zsun)"),
                q("dust2", "", "DUST2", "phys.absorption.opticalDepth", "optical depth of diffuse dust at 5500 Angstrom"),
            ],
            derived: [livingMass, massWeightedAge,
                      q("sfr_weighted_age", "Gyr", "SFRWAGE", "time.age", "mean age of all stars formed (weighted by the star-formation rate)")],
            posteriorDerived: [livingMass, massWeightedAge])
    }()

    /// Every model's vocabulary.
    public static let all: [ParameterVocabulary] = [.delayedTau]

    /// The description of `name` in any model's vocabulary, or the undeclared one.
    public static func describe(_ name: String, units: String) -> QuantityDescription {
        all.lazy.compactMap { v in (v.parameters + v.derived).first { $0.name == name } }.first
            ?? .undeclared(name, units: units)
    }
}
