import ArgumentParser
import PipelineRunner
import DigsCore
import SpectrumIngest

/// `digs ingest`.
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.ingest.commandName,
        abstract: "Turn observed spectra (SDSS/BOSS, DESI coadds or tables) into observations on the pipeline's grid (observation_set).",
        discussion: """
        Objects come from an object table (--table, or the pipeline's observed.table; one row per object: file, \
        optional id, format, targetid, redshift, luminosity_distance [Mpc], ebv [mag]; unusable rows are listed \
        under rejected/ with the reason and the rest continue) or from files on the command line. Formats (--format, \
        default auto: from the file's HDUs): SDSS/BOSS `spec-PLATE-MJD-FIBER.fits` (sdss): HDU COADD (loglam = log10 vacuum Å, \
        flux in 1e-17 erg/s/cm²/Å, ivar, and_mask) and HDU SPECOBJ (Z, ZWARNING, PLATE, MJD, FIBERID). DESI coadd files \
        (desi): FIBERMAP (TARGETID, COADD_FIBERSTATUS) and per camera B_/R_/Z_ WAVELENGTH, FLUX, IVAR, MASK, combined \
        inverse-variance weighted where they overlap; redshifts Z/ZWARN from the redrock-*.fits file beside the \
        coadd-*.fits one, unless the table gives them. Tables (table): \
        CSV with a header line, or a FITS binary table, with columns wavelength [Å], flux, error [1σ, flux units] and \
        an optional mask (0 = good); give --redshift, --flux-unit and --medium. Each spectrum is moved to air \
        wavelengths (Morton 2000: λ_air = λ_vac / n, n = 1 + 8.34254e-5 + 2.406147e-2/(130 − s²) + 1.5998e-4/(38.9 − s²), \
        s = 10⁴/λ_vac in μm⁻¹), optionally corrected for Milky-Way extinction (CCM89, --ebv, --rv), moved to the rest \
        frame and to L_λ = 4π d_L² (1+z) f_λ / L☉ [L☉/Å] (flat ΛCDM, --h0, --omega-m; L☉ = 3.826e33 erg/s), and \
        resampled conserving flux onto the pipeline's rest-frame grid with the inverse variance propagated into σ of \
        log10 L_λ. Pixels flagged bad (and_mask ≠ 0, ivar = 0) are left out; grid pixels covered less than \
        --minimum-coverage by good data (or beyond the observed range) are masked. \
        Output: <pipeline output>/06_observations_<set>.h5; then `digs infer --set <set>`.
        """)

    @OptionGroup var common: CommonOptions

    @Argument(help: "Spectrum files (a DESI file gives all its targets); or give an object table with --table.")
    var files: [String] = []

    @Option(name: .long, help: "Object table (CSV or FITS): one row per object with columns file, id, format, targetid, redshift, luminosity_distance [Mpc], ebv [mag] (default: the pipeline's observed.table when no files are given).")
    var table: String?

    @Option(name: .long, help: "Spectrum file format for files and rows that name none (default: the pipeline's observed.format, auto).")
    var format: SpectrumFormat?

    @Option(name: .long, parsing: .unconditional, help: "Redshift of every object (required for tables without one; overrides the files' own).")
    var redshift: Double?

    @Option(name: .long, parsing: .unconditional, help: "Table flux unit in erg/s/cm²/Å, e.g. 1e-17 (default: observed.flux_unit, 1).")
    var fluxUnit: Double?

    @Option(name: .long, help: "Medium of table wavelengths (default: observed.medium, vacuum).")
    var medium: ObservedSpectrum.Medium?

    @Option(name: .long, parsing: .unconditional, help: "Milky-Way E(B−V) to correct for, mag, unless a row gives its own (default: observed.ebv_mag, 0 = none).")
    var ebv: Double?

    @Option(name: .long, parsing: .unconditional, help: "R_V of the Milky-Way extinction law (default: observed.r_v, 3.1).")
    var rv: Double?

    @Option(name: .long, parsing: .unconditional, help: "Hubble constant, km/s/Mpc (default: observed.cosmology.H0, 70).")
    var h0: Double?

    @Option(name: .long, parsing: .unconditional, help: "Matter density Ω_m of the flat ΛCDM cosmology (default: observed.cosmology.Om0, 0.3).")
    var omegaM: Double?

    @Option(name: .long, parsing: .unconditional, help: "Fraction of a grid pixel good data must cover for it to be kept (default: observed.minimum_coverage, 0.5).")
    var minimumCoverage: Double?

    @Flag(name: .long, help: "Files on the command line: skip (and list under rejected/) files that cannot be ingested instead of stopping at the first. Object-table rows are always skipped and listed.")
    var skipBad = false

    @OptionGroup var shard: ShardOption
    @OptionGroup var sets: SetOption
    @OptionGroup var output: OutputOption

    func validate() throws {
        if let redshift {
            guard redshift.isFinite, redshift > 0, redshift < 10 else {
                throw ValidationError("--redshift must be a number in (0, 10), not \(redshift)")
            }
        }
        if table != nil, !files.isEmpty { throw ValidationError("give spectrum files or --table, not both") }
        // The values given here, checked by the settings' own rules and named by their flags.
        var given = IngestSettings()
        if let fluxUnit { given.fluxUnit = fluxUnit }
        if let ebv { given.ebv = ebv }
        if let rv { given.rv = rv }
        if let h0 { given.cosmology.h0 = h0 }
        if let omegaM { given.cosmology.omegaM = omegaM }
        if let minimumCoverage { given.minimumCoverage = minimumCoverage }
        do { try given.validate() } catch let DigsError.invalidInput(field, problem) {
            throw ValidationError("\(Self.flags[field] ?? field) \(problem)")
        }
    }

    /// The flag of each setting the command line can override.
    static let flags = ["flux_unit": "--flux-unit", "ebv_mag": "--ebv", "r_v": "--rv", "cosmology.H0": "--h0",
                        "cosmology.Om0": "--omega-m", "minimum_coverage": "--minimum-coverage"]

    func run() throws {
        let run = try common.context(set: sets.name(default: "observed"))
        let reads = StageReads.Ingest(run.pipeline)
        var settings = reads.ingest
        if let format { settings.format = format }
        if let fluxUnit { settings.fluxUnit = fluxUnit }
        if let medium { settings.medium = medium }
        if let ebv { settings.ebv = ebv }
        if let rv { settings.rv = rv }
        if let h0 { settings.cosmology.h0 = h0 }
        if let omegaM { settings.cosmology.omegaM = omegaM }
        if let minimumCoverage { settings.minimumCoverage = minimumCoverage }
        let objects: IngestStage.Objects
        if !files.isEmpty {
            objects = .files(files)
        } else if let path = table ?? reads.table {
            objects = .table(path: path)
        } else {
            throw ValidationError("give spectrum files, --table, or an observed.table in the pipeline file")
        }
        try IngestStage.run(objects: objects, options: .init(settings: settings, redshift: redshift, skipBad: skipBad, shard: try shard.value(),
                                                               threads: common.threads),
                            instrument: reads.instrument,
                            output: output.path(run, default: .observations(set: run.set)),
                            overwrite: common.force, log: progress)
    }
}
