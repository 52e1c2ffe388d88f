import ArgumentParser
import Foundation
import PipelineRunner

/// `digs plot`.
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a run's figures (PNG and PDF) into <pipeline output>/figures/.",
        discussion: """
        training: training and validation loss per epoch (from the flow_model). ranks: SBC rank histograms per \
        parameter with the 95 % band of a uniform histogram (the paper's Fig. 5). coverage: marginal and joint \
        (HPD) coverage against the credibility level with the 95 % band of a calibrated estimator (Fig. 6). \
        recovery: true against recovered medians with 68 % error bars, and χ = (median − truth)/σ (Fig. 2). \
        spectra: example noiseless training spectra normalised to their median (Fig. 3). corner: one galaxy's \
        posterior, NPE and (when the MCMC chains hold it) MCMC 68/95 % regions, truth marked (Fig. 1 left). fit: its \
        observed spectrum with the predictive median and 68 % band, the MCMC best fit and the residuals (Fig. 1 \
        right). comparison: NPE against MCMC per galaxy and parameter (median offset in MCMC σ, ratio of 68 % \
        widths). Default: all (comparison only when the MCMC chains exist). `digs report` draws them all into the \
        run's HTML page.
        """)

    @OptionGroup var common: CommonOptions

    @Argument(help: "Figures to draw: training, ranks, coverage, recovery, spectra, corner, fit, comparison (default: all).")
    var figures: [String] = []

    @Option(name: .long, help: "flow_model product (default: <pipeline output>/05_flow.h5).")
    var flow: String?

    @Option(name: .long, help: "sbc_result product (default: <pipeline output>/08_sbc_<set>.h5).")
    var sbc: String?

    @Option(name: .long, help: "posterior_samples product (default: <pipeline output>/07_posterior_<set>.h5).")
    var posterior: String?

    @Option(name: .long, help: "sed_set of example spectra (default: <pipeline output>/03_sed_train.h5).")
    var sed: String?

    @Option(name: .long, help: "mcmc_chains product for the corner plot (default: <pipeline output>/09_mcmc_<set>.h5 if present).")
    var mcmc: String?

    @Option(name: .long, help: "Row of the galaxy for the corner and fit figures.")
    var galaxy: Int = 0

    @Option(name: .long, help: "Which set, for the default paths.")
    var set: String = "test"

    @Option(name: [.short, .long], help: "Folder for the figures (default: <pipeline output>/figures).")
    var output: String?

    func validate() throws {
        for f in figures where PlotStage.Figure(rawValue: f) == nil {
            throw ValidationError("unknown figure '\(f)'; figures: \(PlotStage.Figure.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let mcmcPath = try common.outputPath(mcmc, default: "09_mcmc_\(set).h5")
        let chosen = figures.isEmpty
            ? PlotStage.Figure.allCases.filter { $0 != .comparison || FileManager.default.fileExists(atPath: mcmcPath) }
            : figures.compactMap(PlotStage.Figure.init(rawValue:))
        let paths = try PlotStage.run(figures: chosen, flowPath: try common.outputPath(flow, default: "05_flow.h5"),
                                      sbcPath: try common.outputPath(sbc, default: "08_sbc_\(set).h5"),
                                      posteriorPath: try common.outputPath(posterior, default: "07_posterior_\(set).h5"),
                                      sedPath: try common.outputPath(sed, default: "03_sed_train.h5"),
                                      mcmcPath: mcmcPath, galaxy: galaxy,
                                      folder: try common.outputPath(output, default: "figures"), log: progress)
        for p in paths { print(p) }
    }
}
