import ArgumentParser
import Foundation
import PipelineRunner

/// `digs plot`.
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.plot.commandName,
        abstract: "Draw a run's figures (PNG and PDF) into <pipeline output>/figures/.",
        discussion: """
        training: training and validation loss per epoch (from the flow_model). ranks: SBC rank histograms per \
        parameter with the 95 % band of a uniform histogram (the paper's Fig. 5). coverage: marginal and joint \
        (HPD) coverage against the credibility level with the 95 % band of a calibrated estimator (Fig. 6). \
        recovery: true against recovered medians with 68 % error bars, and χ = (median − truth)/σ (Fig. 2). \
        recovery-derived: the same for the derived quantities (surviving mass, ages, SFR, sSFR, t50, t90). \
        spectra: example noiseless training spectra normalised to their median (Fig. 3). corner: one galaxy's \
        posterior, NPE and (when the MCMC chains hold it) MCMC 68/95 % regions, truth marked (Fig. 1 left). fit: its \
        observed spectrum with the predictive median and 68 % band, the MCMC best fit and the residuals (Fig. 1 \
        right). sfh: its star-formation history, SFR against lookback time with the posterior median and 68 % \
        band and the truth (dashed) for a simulated galaxy. comparison: NPE against MCMC per galaxy and parameter (median offset in MCMC σ, ratio of 68 % \
        widths). Default: all (comparison only when the MCMC chains exist). `digs report` draws them all into the \
        run's HTML page.
        """)

    @OptionGroup var common: CommonOptions

    @Argument(help: "Figures to draw (default: all).")
    var figures: [PlotStage.Figure] = []

    @OptionGroup var flow: ProductOption<FlowInput>
    @OptionGroup var sbc: ProductOption<SBCInput>
    @OptionGroup var posterior: ProductOption<PosteriorInput>
    @OptionGroup var sed: ProductOption<SEDInput>
    @OptionGroup var mcmc: ProductOption<MCMCInput>

    @Option(name: .long, help: "Row of the galaxy for the corner, fit and sfh figures.")
    var galaxy: Int = 0

    @Flag(name: .long, help: "Draw the corner, fit and sfh figures of every galaxy, as corner-<id>, fit-<id> and sfh-<id>.")
    var everyGalaxy = false

    @Option(name: .long, help: "Draw the corner, fit and sfh figures of the first N galaxies, as corner-<id>, fit-<id> and sfh-<id>.")
    var firstGalaxies: Int?

    func validate() throws {
        if let firstGalaxies, firstGalaxies < 1 { throw ValidationError("--first-galaxies must be at least 1, not \(firstGalaxies)") }
        if everyGalaxy && firstGalaxies != nil { throw ValidationError("give --every-galaxy or --first-galaxies, not both") }
    }

    @OptionGroup var sets: SetOption

    @Option(name: [.short, .customLong(StageOption.output.rawValue)], help: "Folder for the figures (default: <pipeline output>/figures, and figures/<set> for sets other than test).")
    var output: String?

    func run() throws {
        let run = try common.context(set: sets.name())
        let mcmcPath = mcmc.resolve(run)
        let chosen = figures.isEmpty
            ? PlotStage.Figure.allCases.filter { $0 != .comparison || FileManager.default.fileExists(atPath: mcmcPath) }
            : figures
        // The example spectra are the training set's unless --sed is given.
        let paths = try PlotStage.run(figures: chosen, flowPath: flow.resolve(run), sbcPath: sbc.resolve(run),
                                      posteriorPath: posterior.resolve(run), sedPath: sed.resolve(run, set: "train"),
                                      mcmcPath: mcmcPath, galaxies: everyGalaxy ? .all : firstGalaxies.map { .first($0) } ?? .row(galaxy),
                                      folder: output ?? run.path(.figures) + (run.set == "test" ? "" : "/" + run.set), log: progress)
        for p in paths { print(p) }
    }
}
