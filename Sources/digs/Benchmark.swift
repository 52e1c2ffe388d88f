import ArgumentParser
import Foundation
import PipelineRunner

/// `digs benchmark …`: speed figures of the stages.
struct Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the speed of DIGS stages (figures for the README; `make bench` adds the reference tools).",
        subcommands: [SimulateSpeed.self, InferSpeed.self, MCMCSpeed.self])

    struct SimulateSpeed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "simulate", abstract: "Spectra per second of the forward model (in memory, best of 3).")

        @OptionGroup var common: CommonOptions
        @OptionGroup var ssp: ProductOption<SSPInput>

        @Option(name: .customShort("n"), help: "Spectra per timing.")
        var spectra: Int = 100_000

        @Flag(name: .long, help: "Print JSON instead of text.")
        var json = false

        func run() throws {
            let run = try common.context()
            let r = try SimulateBenchmark.run(model: StageReads.Simulate(run.pipeline).model, sspPath: ssp.resolve(run), spectra: spectra,
                                              threads: common.threads)
            if json {
                try printJSON(r)
            } else {
                print(String(format: "simulate: %d spectra on %d threads in %.3f s: %.0f spectra/s (%.1f µs each) with the derived quantities, %.0f spectra/s alone (the likelihood's path); one-time setup %.2f s",
                             r.spectra, r.threads, r.seconds, r.spectraPerSecond, r.microsecondsPerSpectrum, r.spectraAlonePerSecond, r.setupSeconds))
            }
        }
    }

    struct InferSpeed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "infer",
            abstract: "Milliseconds per galaxy of posterior sampling, and of everything `digs infer` computes (best of 3).")

        @OptionGroup var common: CommonOptions
        @OptionGroup var flow: ProductOption<FlowInput>
        @OptionGroup var observations: ProductOption<ObservationsInput>
        @OptionGroup var ssp: ProductOption<SSPInput>

        @Option(name: .customShort("n"), help: "Galaxies per timing.")
        var galaxies: Int = 200

        @Option(name: [.short, .customLong("samples")], help: "Posterior samples per galaxy (default: the pipeline's infer.samples).")
        var samples: Int?

        @Flag(name: .long, help: "Print JSON instead of text.")
        var json = false

        func run() throws {
            let run = try common.context()
            var reads = StageReads.Infer(run.pipeline)
            reads.infer = reads.infer.with(samples: samples)
            let r = try InferBenchmark.run(reads: reads, flowPath: flow.resolve(run),
                                           observationsPath: observations.resolve(run), sspPath: ssp.resolve(run),
                                           galaxies: galaxies, threads: common.threads)
            if json {
                try printJSON(r)
            } else {
                print(String(format: "infer: %d galaxies × %d samples on %d threads: sampling %.2f ms per galaxy; with summaries, derived quantities and predictive check %.2f ms per galaxy",
                             r.galaxies, r.samplesPerGalaxy, r.threads, r.samplingMilliseconds, r.fullMilliseconds))
            }
        }
    }

    struct MCMCSpeed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mcmc",
            abstract: "Seconds for one galaxy's MCMC at the pipeline's schedule on one core, and µs per likelihood call.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var observations: ProductOption<ObservationsInput>
        @OptionGroup var ssp: ProductOption<SSPInput>

        @Flag(name: .long, help: "Print JSON instead of text.")
        var json = false

        func run() throws {
            let run = try common.context()
            let reads = StageReads.MCMC(run.pipeline)
            let r = try MCMCBenchmark.run(reads: reads, observationsPath: observations.resolve(run), sspPath: ssp.resolve(run))
            if json {
                try printJSON(r)
            } else {
                print(String(format: "mcmc: one galaxy, %@ = %d likelihood calls on one core in %.1f s (%.1f µs per call)",
                             reads.mcmc.description, r.likelihoodCalls, r.seconds, r.microsecondsPerCall))
            }
        }
    }
}
