import ArgumentParser
import Foundation
import MCMC
import PipelineRunner

/// `digs mcmc`.
struct MCMCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.mcmc.commandName,
        abstract: "The exact-posterior reference: ensemble MCMC on a few observations (mcmc_chains).",
        discussion: """
        Samples the exact posterior: log p(θ) − ½ Σ ((x − f(θ))/σ)² over usable pixels, with the same forward model, \
        prior (its density: a log_uniform prior weighs 1/θ) and noise σ as the flow. \
        Reference schedule by default (mcmc.schedule: reference), which converges: 16 walkers, half of them at the most \
        probable of 4096 prior draws and the NPE's posterior samples (mcmc.init: screened; the samples where `digs infer`'s \
        product of these observations exists), half at prior draws, burn-in \
        rounds [1000, 1000, 1000] of stretch and differential-evolution moves, after each round two Gaussian mixtures \
        (in the prior box's logit coordinates and in θ) fitted to the walkers and used as independence proposals, then \
        20000 production steps with all the moves and the proposals fixed, every 40th stored (≈ 3.7×10⁵ likelihood \
        calls, ~7 s per galaxy on one core); a production that has not converged is discarded, the proposals refitted \
        to it and production run again, up to mcmc.attempts (3) times. \
        mcmc.schedule: paper is the paper's: 128 walkers, burn-in rounds [4096, 4096, 2048, 512] each restarted in a \
        small ball around the best position so far, then 128 production steps (≈ 1.4×10⁶ calls); it does not converge. \
        Walkers may instead start from the prior (mcmc.init: prior) or the NPE posterior samples (npe). Per galaxy: \
        acceptance fraction, integrated autocorrelation time τ and split-R̂ on the whole production chain, the missed \
        log p (the best position evaluated outside production, screened candidates included, minus production's \
        best), and converged = 1 only when it is ≥ 50 τ long, every split-R̂ ≤ 1.01 and the missed log p ≤ 2 (walkers \
        that all settled in a minor mode agree with one another; the NPE's samples often reveal the main one). A \
        warning names each galaxy that fails. Galaxies run in \
        parallel; an interrupted run resumes with the galaxies already finished. Output: <pipeline output>/09_mcmc_<set>.h5.
        """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var sharding: ShardOption
    @OptionGroup var observations: ProductOption<ObservationsInput>
    @OptionGroup var ssp: ProductOption<SSPInput>
    @OptionGroup var posterior: ProductOption<PosteriorInput>

    @Option(name: .long, parsing: .upToNextOption, help: "Rows of the observations to fit (default: the first mcmc.galaxies).")
    var galaxies: [Int] = []

    @Option(name: .long, help: "Where walkers start (default: the pipeline's mcmc.init).")
    var initialization: MCMCInitialization?

    @Option(name: .long, help: "reference (converges) or paper (its restarts); default: the pipeline's mcmc.schedule. Unset walkers, burn-in and production take the schedule's defaults.")
    var schedule: MCMCScheduleKind?

    @OptionGroup var sets: SetOption
    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOption

    func run() throws {
        let run = try common.context(set: sets.name())
        try run.checkResources("mcmc")
        var reads = StageReads.MCMC(run.pipeline)
        if let initialization { reads.mcmc.initialization = initialization }
        if let schedule, schedule != reads.mcmc.schedule {
            reads.mcmc.schedule = schedule
            (reads.mcmc.walkers, reads.mcmc.burnIn, reads.mcmc.production, reads.mcmc.thin) = (nil, nil, nil, nil)
        }
        reads.seed = seed.value(run)
        let settings = reads.mcmc
        try MCMCStage.run(reads: reads, observationsPath: observations.resolve(run), sspPath: ssp.resolve(run),
                          posteriorPath: posteriorPath(run, settings),
                          galaxies: galaxies.isEmpty ? nil : galaxies, output: output.path(run, default: .mcmc(set: run.set)),
                          overwrite: common.force, threads: common.threads,
                          shard: try sharding.value(), log: progress)
    }
}

extension MCMCCommand {
    /// The posterior product the walkers' start reads: the one given; for mcmc.init npe the
    /// pipeline's; for a screened start the pipeline's where it exists and the observations are
    /// the pipeline's own (other observations are screened with prior draws alone).
    func posteriorPath(_ run: StageContext, _ settings: MCMCSettings) -> String? {
        if posterior.isGiven || settings.initialization == .npe { return posterior.resolve(run) }
        guard settings.initialization == .screened, !observations.isGiven else { return nil }
        let path = posterior.resolve(run)
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}
