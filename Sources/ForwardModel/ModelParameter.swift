import DigsCore

/// The name of one parameter of the forward model (`log_mass`). Every model has log_mass, log_z
/// and dust2; its star-formation history (`StarFormationHistory`) adds its own (`t_age`,
/// `log_tau`, …), so the set is open: a name, checked against the model's family where a
/// pipeline's prior is made (`ModelSettings.validate`).
public struct ModelParameter: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ name: String) { self.rawValue = name }

    public var description: String { rawValue }

    /// log10 of the total stellar mass formed, M☉: it scales the spectrum, whatever the SFH.
    public static let logMass = ModelParameter("log_mass")
    /// Stellar metallicity log10(Z/Z☉).
    public static let logZ = ModelParameter("log_z")
    /// Optical depth of the diffuse dust at 5500 Å.
    public static let dust2 = ModelParameter("dust2")

    /// The parameters every model has besides its SFH's: log_mass first, log_z and dust2 last.
    public static let shared: (leading: [ModelParameter], trailing: [ModelParameter]) = ([.logMass], [.logZ, .dust2])

    /// How the registered models describe it (units, catalog name, UCD, meaning); an undeclared
    /// description when no registered family declares it.
    public var quantity: QuantityDescription { ParameterVocabulary.describe(rawValue, units: "") }

    /// Units in FITS/astropy syntax ("" for dimensionless).
    public var units: String { quantity.units }
}
