import DigsCore
import ForwardModel
import Foundation
import Inference
import NeuralFlows
import ProductIO
import SpectralSynthesis

/// Times posterior inference in memory — what `digs benchmark infer` prints: drawing the
/// samples alone, and the whole per-galaxy work of `digs infer` (samples, summaries, derived
/// quantities of every sample, predictive check), best of 3, galaxies split over threads.
public enum InferBenchmark {
    public struct Result: Codable, Sendable {
        public let galaxies: Int
        public let samplesPerGalaxy: Int
        public let threads: Int
        /// Milliseconds per galaxy for drawing the samples only.
        public let samplingMilliseconds: Double
        /// Milliseconds per galaxy for everything `digs infer` computes.
        public let fullMilliseconds: Double
    }

    public static func run(reads: StageReads.Infer, flowPath: String,
                           observationsPath: String, sspPath: String, galaxies: Int, threads: Int,
                           repeats: Int = 3) throws -> Result {
        let (settings, model, nuisances) = (reads.infer, reads.model, reads.observation.nuisances)
        let flow = try FlowModelFile.read(path: flowPath)
        let source = try ObservationSource(path: observationsPath, observation: reads.observation, seed: 1)
        try source.requireGrid(of: model)
        try InferStage.checkCompatible(flow: flow, flowPath: flowPath, source: source, model: model)
        let simulator = try SpectrumSimulator(library: try SSPLibrary(product: try Product.open(sspPath, expecting: .sspLibrary)),
                                              settings: model)
        let n = min(galaxies, source.count), p = source.pixels
        guard n > 0 else { throw DigsError.invalidProduct(path: observationsPath, field: "log_flux", problem: "holds no spectra") }
        let chunk = try source.read(0..<n)
        let posterior = flow.posterior, s = settings.samples
        let streams = RandomStreams(seed: 1)
        let clock = ContinuousClock()
        func best(_ body: @Sendable (Int) -> Void) -> Double {
            var fastest = Double.infinity
            for _ in 0..<repeats {
                let start = clock.now
                parallelChunks(n, workers: threads) { _, i in body(i) }
                fastest = min(fastest, (clock.now - start).seconds)
            }
            return 1000 * fastest / Double(n)
        }
        let prior = model.parameters
        let analytic = try InferStage.analyticParameter(of: flow, flowPath: flowPath, prior: prior)
        let sampling = best { i in
            var g = streams.generator(.posteriorSampling, index: UInt64(i))
            let observation = NoisySpectrum(logFlux: chunk.logFlux[(i * p)..<((i + 1) * p)], sigma: chunk.sigma[(i * p)..<((i + 1) * p)],
                                            mask: chunk.mask[(i * p)..<((i + 1) * p)])
            let exact = SpectrumPosterior(prior: prior, simulator: simulator, observation: observation,
                                          fluxCalibration: nuisances.fluxCalibration)
            _ = observationPosterior(flow: posterior, analytic: analytic, context: posterior.contextLayout.encode(observation),
                                     exact: exact, low: prior.entries.map(\.prior.low), high: prior.entries.map(\.prior.high))
                .sample(count: s, generator: &g)
        }
        let full = best { i in
            var g = streams.generator(.posteriorSampling, index: UInt64(i))
            _ = GalaxyPosterior(observation: chunk.observation(i), ageLimit: chunk.ageLimit?[i] ?? .infinity, thetaTrue: chunk.truth(i),
                                posterior: posterior, analytic: analytic, trainedSigma: nil,
                                simulator: simulator, prior: prior, fluxCalibration: nuisances.fluxCalibration, settings: settings,
                                generator: &g)
        }
        return Result(galaxies: n, samplesPerGalaxy: s, threads: threads, samplingMilliseconds: sampling,
                      fullMilliseconds: full)
    }
}
