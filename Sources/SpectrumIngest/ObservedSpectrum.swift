import DigsCore
import Foundation

/// An observed spectrum as a file holds it, in the observed frame.
public struct ObservedSpectrum: Sendable {
    public enum Medium: String, SettingChoice, Sendable { case vacuum, air }

    /// Identifier (SDSS: `spec-PLATE-MJD-FIBER`; tables: the file name).
    public var id: String
    /// Pixel centres, Å, observed frame, in `medium`.
    public var wavelength: [Double]
    public var medium: Medium
    /// f_λ, erg s⁻¹ cm⁻² Å⁻¹.
    public var flux: [Double]
    /// Inverse variance of f_λ, (erg s⁻¹ cm⁻² Å⁻¹)⁻²; 0 = no information.
    public var inverseVariance: [Double]
    /// false where the file flags the pixel bad (SDSS `and_mask` ≠ 0, a table's mask ≠ 0).
    public var good: [Bool]
    /// Spectroscopic redshift.
    public var redshift: Double
    /// The file it came from.
    public var source: String
    /// Luminosity distance, Mpc, when known for this object (e.g. a redshift-independent
    /// distance of a nearby galaxy); nil: from the redshift and the cosmology.
    public var luminosityDistanceMpc: Double?
    /// Milky-Way E(B−V) towards this object, mag; nil: the ingest settings' value.
    public var milkyWayEBV: Double?

    public init(id: String, wavelength: [Double], medium: Medium, flux: [Double], inverseVariance: [Double], good: [Bool],
                redshift: Double, source: String) {
        (self.id, self.wavelength, self.medium, self.flux) = (id, wavelength, medium, flux)
        (self.inverseVariance, self.good, self.redshift, self.source) = (inverseVariance, good, redshift, source)
    }
}
