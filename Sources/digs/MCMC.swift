import ArgumentParser
import Foundation
import PipelineRunner

/// `digs mcmc`.
struct MCMCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcmc",
        abstract: "The exact-likelihood baseline: ensemble MCMC (emcee's stretch move) on a few observations (mcmc_chains).",
        discussion: """
        Same forward model, prior box and noise σ as the flow; log-likelihood −½ Σ ((x − f(θ))/σ)² over usable pixels. \
        Paper schedule by default: 128 walkers, burn-in rounds [4096, 4096, 2048, 512] each restarted in a small ball \
        around the best position so far, then 128 production steps (≈ 1.4×10⁶ likelihood calls per galaxy). Walkers \
        start from the prior, or from the NPE posterior samples (mcmc.init: npe). Reports acceptance fraction and \
        integrated autocorrelation time, and warns when a chain is shorter than 50 τ. Galaxies run in parallel; an \
        interrupted run resumes with the galaxies already finished. Output: <pipeline output>/09_mcmc_<set>.h5.
        """)

    @OptionGroup var common: CommonOptions

    @OptionGroup var sharding: ShardOption

    @Option(name: .long, help: "observation_set or sed_set (default: <pipeline output>/06_observations_<set>.h5).")
    var observations: String?

    @Option(name: .long, help: "ssp_library product (default: <pipeline output>/01_ssp_library.h5).")
    var ssp: String?

    @Option(name: .long, help: "posterior_samples for mcmc.init = npe (default: <pipeline output>/07_posterior_<set>.h5).")
    var posterior: String?

    @Option(name: .long, parsing: .upToNextOption, help: "Rows of the observations to fit (default: the first mcmc.galaxies).")
    var galaxies: [Int] = []

    @Option(name: .long, help: "Where walkers start: prior or npe (default: the pipeline's mcmc.init).")
    var initialization: String?

    @Option(name: .long, help: "Which set, for the default paths.")
    var set: String = "test"

    @Option(name: .long, help: "Seed (default: the pipeline's seed).")
    var seed: UInt64?

    @Option(name: [.short, .long], help: "Output product path.")
    var output: String?

    func run() throws {
        let pipeline = try common.pipeline()
        try pipeline.checkResources(stages: ["mcmc"], source: common.config ?? "the default settings")
        var settings = pipeline.mcmc
        if let initialization { settings.initialization = initialization }
        let posteriorPath = try posterior ?? common.outputPath(nil, default: "07_posterior_\(set).h5")
        try MCMCStage.run(settings: settings, model: pipeline.model, noise: pipeline.augment.noise,
                          observationsPath: try common.outputPath(observations, default: "06_observations_\(set).h5"),
                          sspPath: try common.outputPath(ssp, default: "01_ssp_library.h5"),
                          posteriorPath: settings.initialization == "npe" || posterior != nil ? posteriorPath : nil,
                          galaxies: galaxies.isEmpty ? nil : galaxies,
                          output: try common.outputPath(output, default: "09_mcmc_\(set).h5"), seed: seed ?? pipeline.seed,
                          overwrite: common.force, threads: common.threads, shard: try sharding.value(), log: progress)
    }
}

/// `digs compare`.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare NPE posteriors with the MCMC baseline on the same observations (prints a table).",
        discussion: """
        Per galaxy and parameter: the offset of the NPE median from the MCMC median in units of the MCMC σ \
        ((P84 − P16)/2), the ratio of 68 % widths NPE/MCMC, and the energy distance between the two samples (in MCMC σ); \
        the summary gives the mean and worst offset, the median and range of the width ratios, and the time per galaxy \
        of each method.
        """)

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "mcmc_chains product (default: <pipeline output>/09_mcmc_<set>.h5).")
    var mcmc: String?

    @Option(name: .long, help: "posterior_samples product (default: <pipeline output>/07_posterior_<set>.h5).")
    var posterior: String?

    @Option(name: .long, help: "Which set, for the default paths.")
    var set: String = "test"

    @Flag(name: .long, help: "Print JSON (every galaxy and parameter) instead of the table.")
    var json = false

    func run() throws {
        let result = try CompareStage.run(mcmcPath: try common.outputPath(mcmc, default: "09_mcmc_\(set).h5"),
                                          posteriorPath: try common.outputPath(posterior, default: "07_posterior_\(set).h5"))
        if json {
            try printJSON(result)
        } else {
            print(result.text)
        }
    }
}
