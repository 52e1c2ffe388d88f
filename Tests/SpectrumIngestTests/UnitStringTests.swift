import Foundation
import SpectrumIngest
import Testing

/// Unit strings as ESO, SDSS and DESI write them, against their values worked out by hand.
struct UnitStringTests {
    @Test(arguments: [
        ("10**(-19).erg.cm**(-2).s**(-1).angstrom**(-1)", 1e-19),   // ESO Phase 3 (X-shooter, MUSE)
        ("erg.cm**(-2).s**(-1).angstrom**(-1)", 1),
        ("1e-17 erg/s/cm2/Angstrom", 1e-17),
        ("10**-17 erg/(s cm2 Angstrom)", 1e-17),                      // DESI BUNIT
        ("1E-17 erg cm^-2 s^-1 A^-1", 1e-17),
        ("W m**(-2) nm**(-1)", 1e7 / 1e4 / 10),                      // 1 W m⁻² nm⁻¹ = 10⁷ erg s⁻¹ / 10⁴ cm² / 10 Å
        ("erg/s/cm2/um", 1e-4),
    ])
    func fluxDensities(_ text: String, _ expected: Double) throws {
        let unit = try #require(UnitString(text))
        let factor = try #require(unit.toErgPerSecondSquareCentimetreAngstrom)
        #expect(abs(factor / expected - 1) < 1e-12, "\(text): \(factor)")
    }

    @Test(arguments: [("nm", 10.0), ("Angstrom", 1), ("angstrom", 1), ("um", 1e4), ("m", 1e10), ("0.1 nm", 1)])
    func wavelengths(_ text: String, _ expected: Double) throws {
        #expect(abs(try #require(UnitString(text)?.toAngstrom) / expected - 1) < 1e-12)
    }

    @Test(arguments: ["adu", "ADU", "erg/s/cm2/Hz", "Jy", "", "erg/(s cm2", "10**(-19).erg.cm**(-2)"])
    func notFluxDensities(_ text: String) {
        #expect(UnitString(text)?.toErgPerSecondSquareCentimetreAngstrom == nil)
    }
}
