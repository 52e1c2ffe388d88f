import DigsCore

/// The physical parameters of the forward model (DESIGN §3), in the pipeline's order.
public enum ModelParameter: String, SettingChoice, Sendable {
    /// log10 of the total stellar mass formed, M☉.
    case logMass = "log_mass"
    /// Time since star formation began (age of the galaxy), Gyr.
    case tAge = "t_age"
    /// log10 of the e-folding time τ of the delayed-τ SFH, Gyr.
    case logTau = "log_tau"
    /// Stellar metallicity log10(Z/Z☉).
    case logZ = "log_z"
    /// Optical depth of the diffuse dust at 5500 Å.
    case dust2

    /// How the model's vocabulary describes it (units, catalog name, UCD, meaning).
    public var quantity: QuantityDescription {
        ParameterVocabulary.delayedTau.parameters.first { $0.name == rawValue }!  // every case is declared there
    }

    /// Units in FITS/astropy syntax ("" for dimensionless).
    public var units: String { quantity.units }
}
