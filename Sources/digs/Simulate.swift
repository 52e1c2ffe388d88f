import ArgumentParser
import PipelineRunner

/// `digs simulate`.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.simulate.commandName,
        abstract: "Noiseless spectra x = log10 L_lambda [Lsun/A] for every theta (sed_set product).",
        discussion: """
        Forward model: the pipeline's star-formation history (model.sfh: delayed_tau or continuity) integrated exactly over 0.1-dex age bins, BC03 SSPs \
        interpolated linearly in log Z, Cloudy nebular emission below 10 Myr, Calzetti dust, Gaussian velocity \
        broadening and the exact mean over each instrument pixel (lines as Gaussians integrated over pixels; no internal grid). Output: <pipeline output>/03_sed_<set>.h5.
        """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var sharding: ShardOption
    @OptionGroup var theta: ProductOption<ThetaInput>
    @OptionGroup var ssp: ProductOption<SSPInput>
    @OptionGroup var sets: SetOption
    @OptionGroup var output: OutputOption

    func run() throws {
        let run = try common.context(set: sets.name(default: "train"))
        try run.checkResources("simulate")
        try SimulateStage.run(model: StageReads.Simulate(run.pipeline).model, thetaPath: theta.resolve(run), sspPath: ssp.resolve(run),
                              output: output.path(run, default: .sed(set: run.set)), overwrite: common.force,
                              shard: try sharding.value(), threads: common.threads, log: progress)
    }
}
