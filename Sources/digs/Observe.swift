import ArgumentParser
import PipelineRunner

/// `digs observe`.
struct Observe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.observe.commandName,
        abstract: "Turn noiseless test spectra (sed_set) into observations (observation_set): one noise draw each.",
        discussion: """
        Uses the pipeline's observation model (model.observation: noise, model error, flux calibration, emission-line mask) and seed; each spectrum gets its own noise stream, so the \
        observations are the same however the work is split. σ per pixel is stored, every pixel is usable, the true \
        θ is kept. `digs infer` makes the same draws when it is given the sed_set directly. \
        Output: <pipeline output>/06_observations_<set>.h5.
        """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var sed: ProductOption<SEDInput>
    @OptionGroup var sets: SetOption
    @OptionGroup var seed: SeedOption
    @OptionGroup var output: OutputOption

    func run() throws {
        let run = try common.context(set: sets.name())
        var reads = StageReads.Observe(run.pipeline)
        reads.seed = seed.value(run)
        try ObserveStage.run(reads: reads, sedPath: sed.resolve(run),
                             output: output.path(run, default: .observations(set: run.set)),
                             overwrite: common.force, log: progress)
    }
}
