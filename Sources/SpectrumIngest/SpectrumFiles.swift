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

    /// Whether a FITS file looks like an SDSS DR7 `spSpec` file: a primary image of at least 4
    /// rows with the log-λ keywords `COEFF0` and `COEFF1`.
    public static func recognisesSpSpec(_ file: FITSFile) -> Bool {
        guard (try? file.moveTo(hdu: 1)) != nil, file.doubleKeyword("COEFF0") != nil, file.doubleKeyword("COEFF1") != nil,
              let shape = try? file.imageShape() else { return false }
        return shape.count == 2 && shape[1] >= 4
    }

    /// Mask bit of an SDSS DR7 `spSpec` pixel that marks an emission line (SP_MASK_EMLINE), not bad data.
    static let spSpecEmissionLineBit = 0x4000_0000

    /// An SDSS DR7 `spSpec-MJD-PLATE-FIBER.fit` file: the primary image's rows are the flux
    /// (10⁻¹⁷ erg s⁻¹ cm⁻² Å⁻¹), the continuum-subtracted flux, the 1σ error (≤ 0: no data) and
    /// the pixel mask (any bit but SP_MASK_EMLINE: bad); vacuum wavelengths
    /// λ = 10^(COEFF0 + COEFF1·i) Å; the header's `Z` (with `ZWARNING` ≠ 0 refused unless
    /// `redshift` stands in for it).
    public static func readSpSpec(_ file: FITSFile, redshift: Double? = nil) throws -> ObservedSpectrum {
        let path = file.path
        try file.moveTo(hdu: 1)
        guard let c0 = file.doubleKeyword("COEFF0"), let c1 = file.doubleKeyword("COEFF1"), c0.isFinite, c1.isFinite, c1 > 0, c1 < 0.01 else {
            throw DigsError.invalidProduct(path: path, field: "keywords COEFF0/COEFF1",
                                           problem: "are missing or not a log10-wavelength start and a positive step (SDSS DR7 spSpec data model)")
        }
        let image = try file.readImage()
        guard image.shape.count == 2, image.shape[0] >= 4 else {
            throw DigsError.invalidProduct(path: path, field: "primary image", problem: "has shape \(image.shape); expected [≥ 4 rows: flux, continuum-subtracted flux, error, mask; pixels]")
        }
        let n = image.shape[1]
        let flux = Array(image.data[0..<n]), error = Array(image.data[(2 * n)..<(3 * n)]), mask = Array(image.data[(3 * n)..<(4 * n)])
        var z = redshift
        if z == nil {
            z = file.doubleKeyword("Z")
            if let warning = file.doubleKeyword("ZWARNING"), warning != 0 {
                throw DigsError.invalidProduct(path: path, field: "keyword ZWARNING",
                                               problem: "is \(Int(warning)): the SDSS redshift is unreliable (give a redshift in the object table or with --redshift)")
            }
        }
        guard let z, z.isFinite else {
            throw DigsError.invalidProduct(path: path, field: "keyword Z", problem: "is missing: no redshift (give one with --redshift)")
        }
        let id = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return ObservedSpectrum(id: id, wavelength: (0..<n).map { pow(10, c0 + c1 * Double($0)) }, medium: .vacuum,
                                flux: flux.map { $0 * sdssFluxUnit },
                                inverseVariance: inverseVariance(ofError: error, unit: sdssFluxUnit),
                                good: mask.map { $0.isFinite && (Int64(exactly: $0) ?? 1) & ~Int64(spSpecEmissionLineBit) == 0 },
                                redshift: z, source: path)
    }

    /// The inverse variance, in (erg s⁻¹ cm⁻² Å⁻¹)⁻², of 1σ errors given in `unit` erg s⁻¹ cm⁻² Å⁻¹;
    /// an error that is not a positive finite number (0, −1, NaN: the files' ways of saying "no
    /// data") gives 0.
    static func inverseVariance(ofError error: [Double], unit: Double) -> [Double] {
        error.map { $0 > 0 && $0.isFinite ? 1 / ($0 * unit * $0 * unit) : 0 }
    }

    /// Whether a file name says CSV (`.csv`, any case); anything else is read as FITS.
    public static func isCSV(_ path: String) -> Bool { path.lowercased().hasSuffix(".csv") }

    /// The column names a table spectrum may give each quantity, matched case-insensitively,
    /// in order of preference (ESO Phase 3: WAVE, FLUX, ERR, QUAL; SDSS: and_mask).
    public static let columnAliases: [(quantity: String, names: [String])] = [
        ("wavelength", ["wavelength", "wave", "lambda"]), ("flux", ["flux"]),
        ("error", ["error", "err", "sigma", "flux_error", "flux_err"]), ("ivar", ["ivar", "inverse_variance"]),
        ("mask", ["mask", "qual", "quality", "and_mask"]),
    ]
    static let aliasList = "wavelength (wave, lambda), flux, error (err, sigma) or ivar, optional mask (qual, quality, and_mask)"

    /// A table spectrum: CSV with a header line (`fits` nil), or the binary table of HDU 2 of a
    /// FITS file (opened on the same mapped file) — one row per pixel, or one row whose cells
    /// are arrays (ESO Phase 3 1-D spectra). Columns by `columnAliases`: wavelength, flux, and
    /// the error (1σ, flux unit) or the inverse variance, optional mask (0 = good).
    ///
    /// In FITS, each column's `TUNITn` gives its unit and is parsed (`UnitString`), never
    /// assumed: the flux's scale (e.g. `10**(-19).erg.cm**(-2).s**(-1).angstrom**(-1)`) and the
    /// wavelength's (Å, nm, µm). The wavelength's `TUCDn` gives the medium (`em.wl;obs.atmos`:
    /// air, else vacuum). Without them (and in CSV) `fluxUnit` (erg s⁻¹ cm⁻² Å⁻¹ per unit) and
    /// `medium` apply, and wavelengths are Å. The redshift is `redshift`, else the header's
    /// `Z` or `REDSHIFT` (table HDU, then primary).
    public static func readTable(_ file: MappedFile, fits: FITSFile?, redshift: Double?, fluxUnit: Double,
                                 medium: ObservedSpectrum.Medium) throws -> ObservedSpectrum {
        let path = file.path
        var columns = [String: [Double]](), found = [String]()
        var units = [String: (column: String, text: String)](), wavelengthUCD: String?, headerRedshift: Double?
        if let file = fits {
            guard try file.hduCount() >= 2 else {
                throw DigsError.invalidProduct(path: path, field: "HDU 2", problem: "is missing: expected a binary table of \(aliasList)")
            }
            headerRedshift = file.doubleKeyword("Z") ?? file.doubleKeyword("REDSHIFT")
            try file.moveTo(hdu: 2)
            headerRedshift = file.doubleKeyword("Z") ?? file.doubleKeyword("REDSHIFT") ?? headerRedshift
            do { found = try file.columnNames() } catch {
                throw DigsError.invalidProduct(path: path, field: "HDU 2", problem: "is not a table: expected a binary table of \(aliasList)")
            }
            for (quantity, names) in columnAliases {
                guard let alias = names.first(where: file.hasColumn) else { continue }
                let name = found.first { $0.caseInsensitiveCompare(alias) == .orderedSame } ?? alias
                columns[quantity] = try file.readColumn(name)
                units[quantity] = try file.columnKeyword("TUNIT", column: name).flatMap { $0.isEmpty ? nil : (name, $0) }
                if quantity == "wavelength" { wavelengthUCD = try file.columnKeyword("TUCD", column: name) }
            }
        } else {
            guard let text = file.withBytes({ String(bytes: $0, encoding: .utf8) }) else { throw DigsError.unreadableFile(path: path, reason: "not UTF-8 text") }
            let table = try CSVTable(text: text, path: path)
            found = table.names
            for (quantity, names) in columnAliases {
                if let c = names.lazy.compactMap({ table.column($0, caseInsensitive: true) }).first { columns[quantity] = try table.numbers(column: c) }
            }
        }
        for name in ["wavelength", "flux"] where columns[name] == nil {
            throw DigsError.invalidProduct(path: path, field: "column \(name)", problem: "is missing (expected \(aliasList); found \(found.joined(separator: ", ")))")
        }
        guard columns["error"] != nil || columns["ivar"] != nil else {
            throw DigsError.invalidProduct(path: path, field: "column error", problem: "is missing, and there is no ivar column either (expected \(aliasList); found \(found.joined(separator: ", ")))")
        }
        let flux = columns["flux"]!, n = flux.count
        for (quantity, values) in columns.sorted(by: { $0.key < $1.key }) where values.count != n {
            throw DigsError.invalidProduct(path: path, field: "column \(quantity)", problem: "has \(values.count) values, the flux \(n)")
        }
        // Units from the file where it gives them; they must be what the quantity is.
        func unit(_ quantity: String, _ convert: (UnitString) -> Double?, expected: String) throws -> Double? {
            guard let (column, text) = units[quantity] else { return nil }
            guard let factor = UnitString(text).flatMap(convert), factor > 0, factor.isFinite else {
                throw DigsError.invalidProduct(path: path, field: "TUNIT of column \(column)", problem: "is '\(text)'; expected \(expected)")
            }
            return factor
        }
        let fluxDensity = "a flux density per wavelength, e.g. 10**(-17).erg.cm**(-2).s**(-1).angstrom**(-1)"
        let fluxFactor = try unit("flux", { $0.toErgPerSecondSquareCentimetreAngstrom }, expected: fluxDensity) ?? fluxUnit
        let errorFactor = try unit("error", { $0.toErgPerSecondSquareCentimetreAngstrom }, expected: fluxDensity) ?? fluxFactor
        let angstrom = try unit("wavelength", { $0.toAngstrom }, expected: "a length: Angstrom, nm or um") ?? 1
        let medium = wavelengthUCD.map { $0.lowercased().contains("obs.atmos") ? .air : .vacuum } ?? medium
        guard let z = redshift ?? headerRedshift else {
            throw DigsError.invalidInput(field: "redshift", problem: "\(path): a table spectrum has no redshift (no Z or REDSHIFT keyword in its header): give it in the object table's column redshift or with --redshift")
        }
        let inverseVariance: [Double]
        if let error = columns["error"] {
            inverseVariance = Self.inverseVariance(ofError: error, unit: errorFactor)
        } else {
            inverseVariance = columns["ivar"]!.map { $0 > 0 && $0.isFinite ? $0 / (fluxFactor * fluxFactor) : 0 }
        }
        let mask = columns["mask"] ?? [Double](repeating: 0, count: n)
        return ObservedSpectrum(id: ((path as NSString).lastPathComponent as NSString).deletingPathExtension,
                                wavelength: columns["wavelength"]!.map { $0 * angstrom }, medium: medium, flux: flux.map { $0 * fluxFactor },
                                inverseVariance: inverseVariance, good: mask.map { $0 == 0 }, redshift: z, source: path)
    }
}
