import DigsCore
import Foundation
import SpectralSynthesis

/// Which reader a spectrum file takes.
public enum SpectrumFormat: String, SettingChoice, Sendable {
    /// From the file: HDU `COADD` → sdss; a primary image with `COEFF0`/`COEFF1` → spspec;
    /// `FIBERMAP` and `B_FLUX` (…) → desi; `.csv` or any other FITS → table (ESO Phase 3 1-D
    /// spectra among them).
    case auto
    /// SDSS/BOSS `spec-PLATE-MJD-FIBER.fits`.
    case sdss
    /// SDSS DR7 `spSpec-MJD-PLATE-FIBER.fit`.
    case spspec
    /// DESI coadd files and per-exposure `spectra-*` files, many targets each.
    case desi
    /// CSV or FITS tables of wavelength, flux, error or ivar (and mask), one row per pixel or one
    /// row of array cells: ESO Phase 3 1-D spectra (WAVE, FLUX, ERR, QUAL with their TUNITs).
    case table
}

/// How observed spectra are read and become model-comparable ones (`digs ingest`, the
/// pipeline file's `observed` section).
public struct IngestSettings: Settings {
    /// Reader of files whose object-table row names no format.
    public var format = SpectrumFormat.auto
    /// Flux unit of `table`-format spectra, erg s⁻¹ cm⁻² Å⁻¹ (e.g. 1e-17).
    public var fluxUnit = 1.0
    /// Medium of `table`-format wavelengths (SDSS and DESI files are in vacuum).
    public var medium = ObservedSpectrum.Medium.vacuum
    public var cosmology = FlatLambdaCDM.standard
    /// Milky-Way E(B−V) to correct for (mag; 0 = none) unless an object gives its own, with R_V.
    public var ebv = 0.0
    public var rv = 3.1
    /// A grid pixel is kept when good input pixels cover at least this fraction of it.
    public var minimumCoverage = 0.5

    public init() {}

    public init(cosmology: FlatLambdaCDM = .standard, ebv: Double = 0, rv: Double = 3.1, minimumCoverage: Double = 0.5) {
        (self.cosmology, self.ebv, self.rv, self.minimumCoverage) = (cosmology, ebv, rv, minimumCoverage)
    }

    enum CodingKeys: String, CodingKey {
        case format, fluxUnit = "flux_unit", medium, cosmology, ebv = "ebv_mag", rv = "r_v", minimumCoverage = "minimum_coverage"
    }

    /// Refuses values out of range; each error names the setting's key (`ebv_mag`, …).
    public func validate() throws {
        try cosmology.validate()
        guard fluxUnit > 0, fluxUnit.isFinite else {
            throw DigsError.invalidInput(field: "flux_unit", problem: "must be a positive number of erg/s/cm²/Å, not \(fluxUnit)")
        }
        guard ebv.isFinite, ebv >= 0, ebv < 10 else {
            throw DigsError.invalidInput(field: "ebv_mag", problem: "must be a number of magnitudes in [0, 10), not \(ebv)")
        }
        guard rv.isFinite, rv > 0 else { throw DigsError.invalidInput(field: "r_v", problem: "must be a positive number, not \(rv)") }
        guard minimumCoverage.isFinite, minimumCoverage > 0, minimumCoverage <= 1 else {
            throw DigsError.invalidInput(field: "minimum_coverage", problem: "must be in (0, 1], not \(minimumCoverage)")
        }
    }
}

/// A spectrum on the model's rest-frame grid, ready for `observation_set`.
public struct RestFrameSpectrum: Sendable {
    /// log10 L_λ, log(L☉/Å); NaN where masked.
    public var logFlux: [Float]
    /// 1σ of logFlux, dex; NaN where masked.
    public var sigma: [Float]
    /// 1 = usable, 0 = masked (bad pixels, no coverage, non-positive flux).
    public var mask: [UInt8]
    /// L_λ before the logarithm, L☉/Å (for checks).
    public var luminosity: [Double]
    /// The luminosity distance used, Mpc, and the Milky-Way E(B−V) corrected for, mag.
    public var luminosityDistanceMpc: Double
    public var ebv: Double
}

/// Observed frame → rest frame on the model grid:
/// 1. vacuum wavelengths → air (`AirVacuum`, Morton 2000), as the SSP grids are in air;
/// 2. optional Milky-Way extinction correction at the observed wavelength (`MilkyWayExtinction`);
/// 3. λ_rest = λ_obs / (1 + z) and L_λ,rest = 4π d_L² (1 + z) f_λ,obs / L☉ (flux per observed
///    Å is (1 + z) times flux per rest Å), d_L the object's own when given, else from
///    `FlatLambdaCDM`, L☉ = 3.826 × 10³³ erg s⁻¹
///    (the unit of the BC03 grids);
/// 4. flux-conserving resampling of the good pixels onto the grid's bins with their
///    variances (`MaskedResampling`); grid pixels less than `minimumCoverage` covered, or with
///    L_λ ≤ 0 (possible at low S/N), are masked;
/// 5. σ(log10 L_λ) = σ_L / (L_λ ln 10) (first-order propagation).
public enum RestFrameConversion {
    /// Solar luminosity of the BC03 SSP grids, erg s⁻¹.
    public static let solarLuminosity = 3.826e33

    /// Converts `spectra` on `threads` workers; each result in its spectrum's place.
    public static func convert(_ spectra: [ObservedSpectrum], edges: [Double], settings: IngestSettings,
                               threads: Int) -> [Result<RestFrameSpectrum, DigsError>] {
        var results = [Result<RestFrameSpectrum, DigsError>?](repeating: nil, count: spectra.count)
        results.withUnsafeMutableBufferPointer { buffer in
            let out = DisjointWrites(buffer)
            parallelChunks(spectra.count, workers: threads) { _, k in
                do {
                    out[k] = .success(try convert(spectra[k], edges: edges, settings: settings))
                } catch {
                    out[k] = .failure(error as? DigsError ?? .invalidProduct(path: spectra[k].source, field: "spectrum", problem: "\(error)"))
                }
            }
        }
        return results.map { $0! }
    }

    /// Converts `spectrum` onto the rest-frame air grid of pixel `edges` (Å).
    public static func convert(_ spectrum: ObservedSpectrum, edges: [Double], settings: IngestSettings) throws -> RestFrameSpectrum {
        let path = spectrum.source, n = spectrum.flux.count
        guard spectrum.wavelength.count == n, spectrum.inverseVariance.count == n, spectrum.good.count == n, n >= 2 else {
            throw DigsError.invalidProduct(path: path, field: "wavelength, flux, ivar",
                                           problem: "have lengths \(spectrum.wavelength.count), \(n), \(spectrum.inverseVariance.count): need equal lengths of at least 2")
        }
        let z = spectrum.redshift
        guard z > 0, z < 10 else {
            throw DigsError.invalidProduct(path: path, field: "redshift", problem: "is \(z): need 0 < z < 10 for a luminosity distance")
        }
        guard zip(spectrum.wavelength, spectrum.wavelength.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw DigsError.invalidProduct(path: path, field: "wavelength", problem: "is not strictly increasing")
        }
        let good = (0..<n).map { spectrum.good[$0] && spectrum.inverseVariance[$0] > 0 && spectrum.inverseVariance[$0].isFinite && spectrum.flux[$0].isFinite }
        guard good.contains(true) else {
            // Say which of the three emptied the spectrum.
            if !spectrum.flux.contains(where: \.isFinite) {
                throw DigsError.invalidProduct(path: path, field: "flux", problem: "is NaN or infinite at every pixel: the spectrum has no usable data")
            }
            if !spectrum.good.contains(true) {
                throw DigsError.invalidProduct(path: path, field: "mask", problem: "flags every pixel as bad: the spectrum has no usable data")
            }
            throw DigsError.invalidProduct(path: path, field: "ivar",
                                           problem: "is zero, negative or not finite wherever the flux is finite and unmasked: the spectrum has no usable data")
        }
        let air = spectrum.medium == .vacuum ? spectrum.wavelength.map(AirVacuum.air(fromVacuum:)) : spectrum.wavelength
        var flux = spectrum.flux, variance = spectrum.inverseVariance.map { $0 > 0 ? 1 / $0 : 0 }
        let ebv = spectrum.milkyWayEBV ?? settings.ebv
        if ebv != 0 {
            guard let lo = air.first, let hi = air.last, lo >= 3030, hi <= 33_000 else {
                throw DigsError.invalidProduct(path: path, field: "wavelength",
                                               problem: "spans \(air.first!)–\(air.last!) Å; the Milky-Way extinction law (CCM89) holds over 3030–33 000 Å")
            }
            let law = MilkyWayExtinction(ebv: ebv, rv: settings.rv)
            for i in 0..<n {
                let c = law.correction(air[i])
                flux[i] *= c
                variance[i] *= c * c
            }
        }
        let distanceMpc = spectrum.luminosityDistanceMpc ?? settings.cosmology.luminosityDistance(z)
        let distanceCm = distanceMpc * FlatLambdaCDM.megaparsecCm
        let scale = 4 * Double.pi * distanceCm * distanceCm * (1 + z) / solarLuminosity
        let rest = air.map { $0 / (1 + z) }
        let inputEdges = Rebinning.edges(centres: rest)
        let covered = (rest.first!, rest.last!)
        guard covered.0 < edges.last!, covered.1 > edges.first! else {
            throw DigsError.invalidProduct(path: path, field: "redshift",
                                           problem: String(format: "z = %.4f puts the spectrum at rest-frame %.0f–%.0f Å, off the model grid %.0f–%.0f Å", z, covered.0, covered.1, edges.first!, edges.last!))
        }
        let resampled = MaskedResampling.resample(inputEdges: inputEdges, flux: flux.map { $0 * scale },
                                                  variance: variance.map { $0 * scale * scale }, good: good, outputEdges: edges)
        let m = edges.count - 1
        var out = RestFrameSpectrum(logFlux: .init(repeating: .nan, count: m), sigma: .init(repeating: .nan, count: m),
                                    mask: .init(repeating: 0, count: m), luminosity: resampled.flux,
                                    luminosityDistanceMpc: distanceMpc, ebv: ebv)
        for j in 0..<m where resampled.coverage[j] >= settings.minimumCoverage && resampled.flux[j] > 0 {
            out.logFlux[j] = Float(log10(resampled.flux[j]))
            out.sigma[j] = Float(resampled.variance[j].squareRoot() / (resampled.flux[j] * M_LN10))
            out.mask[j] = 1
        }
        guard out.mask.contains(1) else {
            throw DigsError.invalidProduct(path: path, field: "flux",
                                           problem: "no pixel of the model grid has good data with positive flux after the shift to the rest frame")
        }
        return out
    }
}
