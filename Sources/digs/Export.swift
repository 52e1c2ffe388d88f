import ArgumentParser
import Foundation
import PipelineRunner

/// `digs export`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.export.commandName,
        abstract: "Write the posteriors as a FITS catalog for astropy, TOPCAT and other astronomy tools.",
        discussion: """
        One BINTABLE `DIGS_POSTERIORS`, a row per galaxy: ID, then per parameter <NAME>_P16, _P50, _P84, _MEAN, _STD, \
        _MAP (and _TRUE for simulated observations), the derived LOGMSTAR_* (living stellar mass) and MWAGE_* (its mean \
        age), PPC_CHI2, PPC_DOF, PPC_PVALUE, IS_ESS_FRAC, PARETO_K and FLAG (1 out-of-distribution, 2 invalid input, 4 median \
        at a prior edge, 8 unreliable flow, 16 not ingested). For a set made by `digs ingest` (its observation_set, \
        default <output>/06_observations_<set>.h5) also INPUT_ROW (the object table's row) and PROBLEM, and one row \
        per object that could not be ingested, after the others: its id, FLAG 16, the reason in PROBLEM, NaN elsewhere. \
        Units in TUNITn (FITS syntax), descriptions in TCOMMn, UCDs in TUCDn; provenance (software, digests of the \
        flow and inputs, prior bounds, samples per galaxy, seed, pipeline) in the primary header; CHECKSUM/DATASUM in \
        every HDU. With an sbc_result (default <output>/08_sbc_<set>.h5 when present) a second table \
        `DIGS_CALIBRATION` holds the per-parameter calibration. Output: <pipeline output>/catalog_<set>.fits.
        """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var posterior: ProductOption<PosteriorInput>
    @OptionGroup var sbc: ProductOption<SBCInput>
    @OptionGroup var observations: ProductOption<ObservationsInput>

    @Flag(name: .long, help: "Leave out the calibration table.")
    var noCalibration = false

    @Flag(name: .long, help: "Also write every posterior sample (a vector column SAMPLES, TDIM = (parameters, samples)).")
    var samples = false

    @OptionGroup var sets: SetOption
    @OptionGroup var output: OutputOption

    func run() throws {
        let run = try common.context(set: sets.name())
        // The calibration table is optional: left out on request, or when the default sbc_result does not exist.
        let sbcPath = sbc.resolve(run)
        let calibration = noCalibration || (!sbc.isGiven && !FileManager.default.fileExists(atPath: sbcPath)) ? nil : sbcPath
        // An ingested set's rows (INPUT_ROW, and the objects that could not be ingested) come from its observations.
        let observationsPath = observations.resolve(run)
        let rows = observations.isGiven || FileManager.default.fileExists(atPath: observationsPath) ? observationsPath : nil
        try ExportStage.run(posteriorPath: posterior.resolve(run), sbcPath: calibration, observationsPath: rows,
                            output: output.path(run, default: .catalog(set: run.set)), pipelineName: StageReads.Export(run.pipeline).pipeline,
                            includeSamples: samples, overwrite: common.force, log: progress)
    }
}
