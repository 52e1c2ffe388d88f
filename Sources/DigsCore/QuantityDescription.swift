/// How one inferred or derived quantity is named and described wherever DIGS shows it: its
/// name in the products, its units, its column name and UCD in the FITS catalog, and its meaning.
/// A forward model declares these for its parameters and derived quantities
/// (`ParameterVocabulary`), so a model with other parameters brings its own and the products,
/// catalog, report and figures follow.
public struct QuantityDescription: Sendable, Equatable {
    /// Name in the products (`log_mass`).
    public let name: String
    /// Units in FITS/astropy syntax ("" for dimensionless).
    public let units: String
    /// Column stem in the FITS catalog (`LOG_MASS` → `LOG_MASS_P50`, …).
    public let fitsName: String
    /// IVOA Unified Content Descriptor ("" when none fits).
    public let ucd: String
    /// One line for catalog comments and help.
    public let meaning: String

    public init(name: String, units: String, fitsName: String, ucd: String, meaning: String) {
        (self.name, self.units, self.fitsName, self.ucd, self.meaning) = (name, units, fitsName, ucd, meaning)
    }

    /// What DIGS says of a quantity no model declares: its name upper-cased as the column (letters,
    /// digits and _ only), no UCD, its name as its meaning.
    public static func undeclared(_ name: String, units: String) -> QuantityDescription {
        QuantityDescription(name: name, units: units, fitsName: name.uppercased().filter { $0.isLetter || $0.isNumber || $0 == "_" },
                            ucd: "", meaning: name)
    }
}
