import ArgumentParser
import PipelineRunner

/// `digs sbc`.
struct SBC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.sbc.commandName,
        abstract: "Calibration of the posteriors on test galaxies with known truth (sbc_result product).",
        discussion: """
        SBC ranks (Talts et al. 2018, ties broken at random) with KS and χ² uniformity tests per parameter; \
        marginal coverage of central credible intervals at levels 0.05…0.95; joint coverage of highest-density \
        regions (by the flow's log q); TARP expected coverage (Lemos et al. 2023); accuracy of the medians (bias, \
        RMSE, Pearson r, χ = (median − truth)/σ); NLTP, the mean −log q(θ_true | x) in nats (lower: sharper). Prints \
        the table; the product holds every number. \
        Output: <pipeline output>/08_sbc_<set>.h5.
        """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var sharding: ShardOption
    @OptionGroup var posterior: ProductOption<PosteriorInput>
    @OptionGroup var sets: SetOption
    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOption

    func run() throws {
        let run = try common.context(set: sets.name())
        var reads = StageReads.SBC(run.pipeline)
        reads.seed = seed.value(run)
        let summary = try SBCStage.run(posteriorPath: posterior.resolve(run), output: output.path(run, default: .sbc(set: run.set)),
                                       seed: reads.seed, overwrite: common.force, shard: try sharding.value(), log: progress)
        print(summary)
    }
}
