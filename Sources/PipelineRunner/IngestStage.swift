import DigsCore
import Foundation
import ProductIO
import SpectralSynthesis
import SpectrumIngest

/// `digs ingest`: observed spectra (SDSS/BOSS spec files or generic tables) → `observation_set`
/// on the pipeline's rest-frame grid, via `RestFrameConversion` (vacuum → air, optional
/// Milky-Way extinction, rest frame, L_λ with the luminosity distance, flux-conserving
/// resampling with the inverse variance propagated, masks). Spectra are converted one at a
/// time and appended, so memory stays flat in their number. Each row records the file it came
/// from and that file's SHA-256.
public enum IngestStage {
    public enum Format: String, CaseIterable, Sendable { case sdss, table }

    public struct Options: Sendable {
        public var format: Format
        /// Overrides the SDSS `Z`; required for tables.
        public var redshift: Double?
        /// Table flux unit, erg s⁻¹ cm⁻² Å⁻¹.
        public var fluxUnit: Double
        /// Medium of table wavelengths.
        public var medium: ObservedSpectrum.Medium
        public var settings: IngestSettings
        /// Log and skip files that cannot be ingested instead of stopping.
        public var skipBad: Bool

        public init(format: Format, redshift: Double?, fluxUnit: Double, medium: ObservedSpectrum.Medium,
                    settings: IngestSettings, skipBad: Bool) {
            (self.format, self.redshift, self.fluxUnit, self.medium, self.settings, self.skipBad) =
                (format, redshift, fluxUnit, medium, settings, skipBad)
        }
    }

    public static func run(files: [String], options: Options, instrument: InstrumentSettings, output: String,
                           overwrite: Bool, log: (String) -> Void) throws {
        if FileManager.default.fileExists(atPath: output) && !overwrite { throw DigsError.alreadyExists(path: output) }
        guard !files.isEmpty else { throw DigsError.invalidInput(field: "FILES", problem: "no spectrum files given") }
        if options.format == .table && options.redshift == nil {
            throw DigsError.invalidInput(field: "--redshift", problem: "a table has no redshift: give it with --redshift")
        }
        try options.settings.cosmology.validate()
        guard options.settings.ebv >= 0, options.settings.rv > 0, (0...1).contains(options.settings.minimumCoverage) else {
            throw DigsError.invalidInput(field: "--ebv / --rv / --minimum-coverage",
                                         problem: "need E(B−V) ≥ 0, R_V > 0 and a coverage fraction in 0…1")
        }
        let p = instrument.pixels, edges = instrument.pixelEdges
        let writer = try ProductWriter(path: output, kind: .observationSet, seed: 0, config: PipelineConfig.json(options.settings),
                                       inputs: [], overwrite: overwrite)
        try writer.write("wavelength", NDArray(shape: [p], data: instrument.pixelCentres), axes: ["pixel"], units: "Angstrom",
                         description: "rest-frame pixel wavelengths (air)")
        func extendable(_ name: String, _ dtype: HDF5DType, _ shape: [Int], _ axes: [String], _ units: String, _ text: String) throws -> HDF5Dataset {
            try writer.createDataset(name, dtype: dtype, shape: shape, axes: axes, units: units, description: text, extendable: true)
        }
        let flux = try extendable("log_flux", .float32, [0, p], ["galaxy", "pixel"], "log(solLum/Angstrom)", "log10 of the rest-frame L_lambda")
        let sigma = try extendable("log_flux_sigma", .float32, [0, p], ["galaxy", "pixel"], "dex", "1-sigma uncertainty of log_flux")
        let mask = try extendable("mask", .uint8, [0, p], ["galaxy", "pixel"], "", "1 = pixel usable, 0 = masked")
        let redshift = try extendable("redshift", .float64, [0], ["galaxy"], "", "spectroscopic redshift")
        var ids = [String](), paths = [String](), digests = [String](), skipped = 0
        for (k, file) in files.enumerated() {
            do {
                let spectrum: ObservedSpectrum
                switch options.format {
                case .sdss: spectrum = try SpectrumFiles.readSDSS(file, redshift: options.redshift)
                case .table: spectrum = try SpectrumFiles.readTable(file, redshift: options.redshift!, fluxUnit: options.fluxUnit,
                                                                    medium: options.medium)
                }
                let rest = try RestFrameConversion.convert(spectrum, edges: edges, settings: options.settings)
                try flux.append(NDArray(shape: [1, p], data: rest.logFlux))
                try sigma.append(NDArray(shape: [1, p], data: rest.sigma))
                try mask.append(NDArray(shape: [1, p], data: rest.mask))
                try redshift.append(NDArray(shape: [1], data: [spectrum.redshift]))
                ids.append(spectrum.id)
                paths.append(file)
                digests.append("sha256:" + (try FileDigest.sha256(path: file)))
                let masked = rest.mask.filter { $0 == 0 }.count
                if masked > 0 { log("\(spectrum.id): \(masked) of \(p) grid pixels masked (bad pixels or outside the observed range)") }
            } catch let error as DigsError where options.skipBad {
                log("skipped \(file): \(error)")
                skipped += 1
            }
            if (k + 1) % 1000 == 0 || k + 1 == files.count { log("ingested \(k + 1 - skipped)/\(files.count) spectra") }
        }
        guard !ids.isEmpty else { throw DigsError.invalidInput(field: "FILES", problem: "none of the \(files.count) files could be ingested") }
        try writer.writeStrings("ids", ids, axis: "galaxy", description: "observation ids")
        try writer.writeStrings("source/path", paths, axis: "galaxy", description: "observed spectrum file each row was ingested from")
        try writer.writeStrings("source/sha256", digests, axis: "galaxy", description: "SHA-256 of that file")
        try writer.commit()
        if skipped > 0 { log("\(skipped) of \(files.count) files skipped") }
    }
}
