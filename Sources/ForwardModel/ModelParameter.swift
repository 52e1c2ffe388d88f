/// The physical parameters of the forward model (DESIGN §3), in the pipeline's order.
public enum ModelParameter: String, CaseIterable, Codable, Sendable {
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

    /// Units in FITS/astropy syntax ("" for dimensionless).
    public var units: String {
        switch self {
        case .logMass: return "log(solMass)"
        case .tAge: return "Gyr"
        case .logTau: return "log(Gyr)"
        case .logZ, .dust2: return ""
        }
    }

    /// A one-line meaning for headers and help.
    public var meaning: String {
        switch self {
        case .logMass: return "log10 total stellar mass formed / M_sun"
        case .tAge: return "age of the galaxy (start of star formation), Gyr"
        case .logTau: return "log10 e-folding time of the delayed-tau SFH / Gyr"
        case .logZ: return "stellar metallicity log10(Z/Z_sun)"
        case .dust2: return "optical depth of diffuse dust at 5500 A"
        }
    }
}
