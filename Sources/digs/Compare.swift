import ArgumentParser
import Foundation
import PipelineRunner

/// `digs compare`.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: StageCommand.compare.commandName,
        abstract: "Compare NPE posteriors with the MCMC baseline on the same observations (prints a table).",
        discussion: """
        Per galaxy and parameter: the offset of the NPE median from the MCMC median in units of the MCMC σ \
        ((P84 − P16)/2), the ratio of 68 % widths NPE/MCMC, and the energy distance between the two samples (in MCMC σ); \
        the summary gives the mean, median, 90th percentile and worst offset, the median, 90th percentile and range of \
        the width ratios — over the galaxies whose chains converged (≥ 50 τ, split-R̂ ≤ 1.01), or over all with a \
        warning when none did — and the time per galaxy of each method.
        """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var mcmc: ProductOption<MCMCInput>
    @OptionGroup var posterior: ProductOption<PosteriorInput>
    @OptionGroup var sets: SetOption

    @Flag(name: .long, help: "Print JSON (every galaxy and parameter) instead of the table.")
    var json = false

    func run() throws {
        let run = try common.context(set: sets.name())
        let result = try CompareStage.run(mcmcPath: mcmc.resolve(run), posteriorPath: posterior.resolve(run))
        if json {
            try printJSON(result)
        } else {
            print(result.text)
        }
    }
}
