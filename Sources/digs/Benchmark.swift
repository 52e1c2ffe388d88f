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

        @Option(name: .long, help: "ssp_library product (default: <pipeline output>/01_ssp_library.h5).")
        var ssp: String?

        @Option(name: .customShort("n"), help: "Spectra per timing.")
        var spectra: Int = 100_000

        @Flag(name: .long, help: "Print JSON instead of text.")
        var json = false

        func run() throws {
            let pipeline = try common.pipeline()
            let r = try SimulateBenchmark.run(model: pipeline.model,
                                              sspPath: try common.outputPath(ssp, default: "01_ssp_library.h5"),
                                              spectra: spectra, threads: common.threads)
            if json {
                try printJSON(r)
            } else {
                print(String(format: "simulate: %d spectra on %d threads in %.3f s: %.0f spectra/s (%.1f µs each); one-time setup %.2f s",
                             r.spectra, r.threads, r.seconds, r.spectraPerSecond, r.microsecondsPerSpectrum, r.setupSeconds))
            }
        }
    }

    struct InferSpeed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "infer",
            abstract: "Milliseconds per galaxy of posterior sampling, and of everything `digs infer` computes (best of 3).")

        @OptionGroup var common: CommonOptions

        @Option(name: .long, help: "flow_model product (default: <pipeline output>/05_flow.h5).")
        var flow: String?

        @Option(name: .long, help: "observation_set or sed_set (default: <pipeline output>/03_sed_test.h5).")
        var observations: String?

        @Option(name: .long, help: "ssp_library product (default: <pipeline output>/01_ssp_library.h5).")
        var ssp: String?

        @Option(name: .customShort("n"), help: "Galaxies per timing.")
        var galaxies: Int = 200

        @Option(name: [.short, .customLong("samples")], help: "Posterior samples per galaxy (default: the pipeline's infer.samples).")
        var samples: Int?

        @Flag(name: .long, help: "Print JSON instead of text.")
        var json = false

        func run() throws {
            let pipeline = try common.pipeline()
            var settings = pipeline.infer
            if let samples {
                settings.samples = samples
                settings.ppcSamples = min(settings.ppcSamples, max(samples, 0))
            }
            let r = try InferBenchmark.run(settings: settings, model: pipeline.model, noise: pipeline.augment.noise,
                                           flowPath: try common.outputPath(flow, default: "05_flow.h5"),
                                           observationsPath: try common.outputPath(observations, default: "03_sed_test.h5"),
                                           sspPath: try common.outputPath(ssp, default: "01_ssp_library.h5"),
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

        @Option(name: .long, help: "observation_set or sed_set (default: <pipeline output>/03_sed_test.h5).")
        var observations: String?

        @Option(name: .long, help: "ssp_library product (default: <pipeline output>/01_ssp_library.h5).")
        var ssp: String?

        @Flag(name: .long, help: "Print JSON instead of text.")
        var json = false

        func run() throws {
            let pipeline = try common.pipeline()
            let r = try MCMCBenchmark.run(settings: pipeline.mcmc, model: pipeline.model, noise: pipeline.augment.noise,
                                          observationsPath: try common.outputPath(observations, default: "03_sed_test.h5"),
                                          sspPath: try common.outputPath(ssp, default: "01_ssp_library.h5"))
            if json {
                try printJSON(r)
            } else {
                print(String(format: "mcmc: one galaxy, %d walkers, burn-in %@ + %d steps = %d likelihood calls on one core in %.1f s (%.1f µs per call)",
                             pipeline.mcmc.walkers, pipeline.mcmc.burnIn.description, pipeline.mcmc.production, r.likelihoodCalls,
                             r.seconds, r.microsecondsPerCall))
            }
        }
    }
}
