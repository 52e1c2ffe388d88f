import ArgumentParser
import PipelineRunner
import SpectrumIngest

/// `digs ingest`.
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.ingest.commandName,
        abstract: "Turn observed spectra (SDSS/BOSS spec files or tables) into observations on the pipeline's grid (observation_set).",
        discussion: """
        SDSS/BOSS `spec-PLATE-MJD-FIBER.fits` (--format sdss, the default): HDU COADD (loglam = log10 vacuum Å, \
        flux in 1e-17 erg/s/cm²/Å, ivar, and_mask) and HDU SPECOBJ (Z, PLATE, MJD, FIBERID). Tables (--format table): \
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

    @Argument(help: "Spectrum files.")
    var files: [String]

    @Option(name: .long, help: "Spectrum file format.")
    var format: IngestStage.Format = .sdss

    @Option(name: .long, parsing: .unconditional, help: "Redshift (required for tables; overrides SPECOBJ Z for SDSS files).")
    var redshift: Double?

    @Option(name: .long, parsing: .unconditional, help: "Table flux unit in erg/s/cm²/Å (e.g. 1e-17).")
    var fluxUnit: Double = 1

    @Option(name: .long, help: "Medium of table wavelengths.")
    var medium: ObservedSpectrum.Medium = .vacuum

    @Option(name: .long, parsing: .unconditional, help: "Milky-Way E(B−V) to correct for, mag (0: none).")
    var ebv: Double = 0

    @Option(name: .long, parsing: .unconditional, help: "R_V of the Milky-Way extinction law.")
    var rv: Double = 3.1

    @Option(name: .long, parsing: .unconditional, help: "Hubble constant, km/s/Mpc.")
    var h0: Double = 70

    @Option(name: .long, parsing: .unconditional, help: "Matter density Ω_m of the flat ΛCDM cosmology.")
    var omegaM: Double = 0.3

    @Option(name: .long, parsing: .unconditional, help: "Fraction of a grid pixel good data must cover for it to be kept.")
    var minimumCoverage: Double = 0.5

    @Flag(name: .long, help: "Skip (and report) files that cannot be ingested instead of stopping at the first.")
    var skipBad = false

    @OptionGroup var sets: SetOption
    @OptionGroup var output: OutputOption

    func validate() throws {
        guard fluxUnit > 0, fluxUnit.isFinite else { throw ValidationError("--flux-unit must be a positive number, not \(fluxUnit)") }
        if let redshift {
            guard redshift.isFinite, redshift > 0, redshift < 10 else {
                throw ValidationError("--redshift must be a number in (0, 10), not \(redshift)")
            }
        }
        guard ebv.isFinite, ebv >= 0, ebv < 10 else { throw ValidationError("--ebv must be a number of magnitudes in [0, 10), not \(ebv)") }
        guard rv.isFinite, rv > 0 else { throw ValidationError("--rv must be a positive number, not \(rv)") }
        guard h0.isFinite, h0 > 0 else { throw ValidationError("--h0 must be a positive number of km/s/Mpc, not \(h0)") }
        guard omegaM.isFinite, omegaM >= 0, omegaM <= 1 else { throw ValidationError("--omega-m must be in [0, 1], not \(omegaM)") }
        guard minimumCoverage.isFinite, minimumCoverage > 0, minimumCoverage <= 1 else {
            throw ValidationError("--minimum-coverage must be in (0, 1], not \(minimumCoverage)")
        }
    }

    func run() throws {
        let run = try common.context(set: sets.name(default: "observed"))
        let options = IngestStage.Options(
            format: format, redshift: redshift, fluxUnit: fluxUnit, medium: medium,
            settings: IngestSettings(cosmology: FlatLambdaCDM(h0: h0, omegaM: omegaM), ebv: ebv, rv: rv,
                                     minimumCoverage: minimumCoverage),
            skipBad: skipBad)
        try IngestStage.run(files: files, options: options, instrument: run.pipeline.model.instrument,
                            output: output.path(run, default: .observations(set: run.set)),
                            overwrite: common.force, log: progress)
    }
}
