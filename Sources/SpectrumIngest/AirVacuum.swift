import Foundation

/// Conversion between vacuum and standard-air wavelengths (Å), with the refractive index of
/// dry air at 15 °C and 101 325 Pa of Ciddor (1996) in the form of Morton (2000, ApJS 130,
/// 403, eq. 8) — the formula the SDSS and VALD documentation give:
///
///     n = 1 + 8.34254e-5 + 2.406147e-2 / (130 − s²) + 1.5998e-4 / (38.9 − s²),  s = 10⁴ / λ_vac [μm⁻¹]
///     λ_air = λ_vac / n.
///
/// SDSS spectra are in vacuum; the SSP grids and the model's rest-frame grid are in air.
public enum AirVacuum {
    /// Refractive index of standard air at vacuum wavelength `vacuum` (Å).
    public static func refractiveIndex(vacuum: Double) -> Double {
        let s2 = pow(1e4 / vacuum, 2)
        return 1 + 8.34254e-5 + 2.406147e-2 / (130 - s2) + 1.5998e-4 / (38.9 - s2)
    }

    /// Air wavelength (Å) of a vacuum wavelength (Å); valid above 2000 Å.
    public static func air(fromVacuum vacuum: Double) -> Double { vacuum / refractiveIndex(vacuum: vacuum) }

    /// Vacuum wavelength (Å) of an air wavelength (Å): the inverse of `air(fromVacuum:)`,
    /// solved by fixed-point iteration (n varies slowly: four steps reach 10⁻¹² Å).
    public static func vacuum(fromAir air: Double) -> Double {
        var vacuum = air
        for _ in 0..<6 { vacuum = air * refractiveIndex(vacuum: vacuum) }
        return vacuum
    }
}
