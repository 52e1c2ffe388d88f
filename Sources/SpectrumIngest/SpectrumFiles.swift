import DigsCore
import FITSIO
import Foundation

/// Readers of observed spectra.
public enum SpectrumFiles {
    /// f_λ unit of SDSS/BOSS spectra: 10⁻¹⁷ erg s⁻¹ cm⁻² Å⁻¹.
    public static let sdssFluxUnit = 1e-17

    /// An SDSS/BOSS `spec-PLATE-MJD-FIBER.fits` file (DR8+ data model): HDU `COADD` with
    /// `loglam` (log10 vacuum Å), `flux` (10⁻¹⁷ erg s⁻¹ cm⁻² Å⁻¹), `ivar` and `and_mask`;
    /// HDU `SPECOBJ` with `Z` (and `PLATE`, `MJD`, `FIBERID` for the id). `redshift`
    /// overrides (or stands in for) `Z`; a pipeline redshift with `ZWARNING` ≠ 0 is refused
    /// unless `redshift` stands in for it.
    public static func readSDSS(_ file: FITSFile, redshift: Double? = nil) throws -> ObservedSpectrum {
        let path = file.path
        do { try file.moveTo(extname: "COADD") } catch {
            throw DigsError.invalidProduct(path: path, field: "HDU COADD",
                                           problem: "is missing: not an SDSS spec-PLATE-MJD-FIBER file (HDU 1 must be the COADD table with loglam, flux, ivar, and_mask)")
        }
        for column in ["loglam", "flux", "ivar"] where !file.hasColumn(column) {
            throw DigsError.invalidProduct(path: path, field: "COADD column \(column)", problem: "is missing (SDSS data model: loglam, flux, ivar, and_mask)")
        }
        let loglam = try file.readColumn("loglam"), flux = try file.readColumn("flux"), ivar = try file.readColumn("ivar")
        let andMask = file.hasColumn("and_mask") ? try file.readColumn("and_mask") : [Double](repeating: 0, count: flux.count)
        var z = redshift, id = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        if (try? file.moveTo(extname: "SPECOBJ")) != nil {
            if z == nil, file.hasColumn("Z") {
                z = try file.readColumn("Z").first
                if file.hasColumn("ZWARNING"), let warning = try file.readColumn("ZWARNING").first, warning != 0 {
                    throw DigsError.invalidProduct(path: path, field: "SPECOBJ column ZWARNING",
                                                   problem: "is \(Int(warning)): the SDSS redshift is unreliable (give a redshift in the object table or with --redshift)")
                }
            }
            if file.hasColumn("PLATE"), file.hasColumn("MJD"), file.hasColumn("FIBERID"),
               let plate = try file.readColumn("PLATE").first, let mjd = try file.readColumn("MJD").first,
               let fiber = try file.readColumn("FIBERID").first {
                id = String(format: "spec-%04d-%05d-%04d", Int(plate), Int(mjd), Int(fiber))
            }
        }
        guard let z, z.isFinite else {
            throw DigsError.invalidProduct(path: path, field: "SPECOBJ column Z",
                                           problem: "is missing: no redshift (give one with --redshift)")
        }
        return ObservedSpectrum(id: id, wavelength: loglam.map { pow(10, $0) }, medium: .vacuum,
                                flux: flux.map { $0 * sdssFluxUnit }, inverseVariance: ivar.map { $0 / (sdssFluxUnit * sdssFluxUnit) },
                                good: andMask.map { $0 == 0 }, redshift: z, source: path)
    }

    /// Whether a file name says CSV (`.csv`, any case); anything else is read as FITS.
    public static func isCSV(_ path: String) -> Bool { path.lowercased().hasSuffix(".csv") }

    /// A generic table — CSV with a header line (`fits` nil), or a FITS binary table (first
    /// table HDU of `fits`, opened on the same mapped file) — with columns `wavelength` (Å),
    /// `flux` and `error` (1σ, same unit as flux) and an optional `mask` (0 = good, anything
    /// else = bad). `fluxUnit` is the flux unit in erg s⁻¹ cm⁻² Å⁻¹ (e.g. 1e-17).
    public static func readTable(_ file: MappedFile, fits: FITSFile?, redshift: Double, fluxUnit: Double,
                                 medium: ObservedSpectrum.Medium) throws -> ObservedSpectrum {
        let path = file.path
        var columns = [String: [Double]]()
        if let file = fits {
            guard try file.hduCount() >= 2 else {
                throw DigsError.invalidProduct(path: path, field: "HDU 2", problem: "is missing: expected a binary table of wavelength, flux, error")
            }
            try file.moveTo(hdu: 2)
            for name in ["wavelength", "flux", "error", "mask"] where file.hasColumn(name) { columns[name] = try file.readColumn(name) }
        } else {
            guard let text = file.withBytes({ String(bytes: $0, encoding: .utf8) }) else { throw DigsError.unreadableFile(path: path, reason: "not UTF-8 text") }
            let table = try CSVTable(text: text, path: path)
            for name in ["wavelength", "flux", "error", "mask"] {
                if let c = table.column(name, caseInsensitive: true) { columns[name] = try table.numbers(column: c) }
            }
        }
        for name in ["wavelength", "flux", "error"] where columns[name] == nil {
            throw DigsError.invalidProduct(path: path, field: "column \(name)", problem: "is missing (columns: wavelength [Å], flux, error, optional mask)")
        }
        let flux = columns["flux"]!, error = columns["error"]!
        let mask = columns["mask"] ?? [Double](repeating: 0, count: flux.count)
        return ObservedSpectrum(id: ((path as NSString).lastPathComponent as NSString).deletingPathExtension,
                                wavelength: columns["wavelength"]!, medium: medium, flux: flux.map { $0 * fluxUnit },
                                inverseVariance: error.map { $0 > 0 && $0.isFinite ? 1 / ($0 * fluxUnit * $0 * fluxUnit) : 0 },
                                good: mask.map { $0 == 0 }, redshift: redshift, source: path)
    }
}
