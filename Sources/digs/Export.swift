import ArgumentParser
import Foundation
import PipelineRunner

/// `digs export`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the posteriors as a FITS catalog for astropy, TOPCAT and other astronomy tools.",
        discussion: """
        One BINTABLE `DIGS_POSTERIORS`, a row per galaxy: ID, then per parameter <NAME>_P16, _P50, _P84, _MEAN, _STD, \
        _MAP (and _TRUE for simulated observations), the derived LOGMSTAR_* (living stellar mass) and MWAGE_* (its mean \
        age), PPC_CHI2, PPC_DOF, PPC_PVALUE and FLAG (1 out-of-distribution, 2 invalid input, 4 median at a prior edge). \
        Units in TUNITn (FITS syntax), descriptions in TCOMMn, UCDs in TUCDn; provenance (software, digests of the \
        flow and inputs, prior bounds, samples per galaxy, seed, pipeline) in the primary header; CHECKSUM/DATASUM in \
        every HDU. With an sbc_result (default <output>/08_sbc_<set>.h5 when present) a second table \
        `DIGS_CALIBRATION` holds the per-parameter calibration. Output: <pipeline output>/catalog_<set>.fits.
        """)

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "posterior_samples product (default: <pipeline output>/07_posterior_<set>.h5).")
    var posterior: String?

    @Option(name: .long, help: "sbc_result product for the calibration table (default: <pipeline output>/08_sbc_<set>.h5 if present).")
    var sbc: String?

    @Flag(name: .long, help: "Leave out the calibration table.")
    var noCalibration = false

    @Flag(name: .long, help: "Also write every posterior sample (a vector column SAMPLES, TDIM = (parameters, samples)).")
    var samples = false

    @Option(name: .long, help: "Which set, for the default paths.")
    var set: String = "test"

    @Option(name: [.short, .long], help: "Output catalog path.")
    var output: String?

    func run() throws {
        let pipeline = try common.pipeline()
        var sbcPath: String? = try sbc ?? common.outputPath(nil, default: "08_sbc_\(set).h5")
        if noCalibration || (sbc == nil && !FileManager.default.fileExists(atPath: sbcPath!)) { sbcPath = nil }
        try ExportStage.run(posteriorPath: try common.outputPath(posterior, default: "07_posterior_\(set).h5"), sbcPath: sbcPath,
                            output: try common.outputPath(output, default: "catalog_\(set).fits"),
                            pipelineName: pipeline.name, includeSamples: samples, overwrite: common.force, log: progress)
    }
}
