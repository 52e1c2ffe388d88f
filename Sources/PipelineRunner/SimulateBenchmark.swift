import DigsCore
import ForwardModel
import Foundation
import ProductIO
import SpectralSynthesis

/// Times the forward model: spectra per second for batches of prior draws, in memory
/// (the simulator alone) — what `digs benchmark simulate` prints.
public enum SimulateBenchmark {
    public struct Result: Codable, Sendable {
        public let spectra: Int
        public let threads: Int
        public let setupSeconds: Double
        /// Best wall time of `simulate` (spectra and derived quantities: the simulate stage's work), s.
        public let seconds: Double
        /// Best wall time of `spectra` (the spectra alone: the likelihood's work in infer and mcmc), s.
        public let spectraAloneSeconds: Double
        public var spectraPerSecond: Double { Double(spectra) / seconds }
        public var spectraAlonePerSecond: Double { Double(spectra) / spectraAloneSeconds }
        public var microsecondsPerSpectrum: Double { 1e6 * seconds / Double(spectra) }
    }

    public static func run(model: ModelSettings, sspPath: String, spectra: Int, threads: Int, repeats: Int = 3) throws -> Result {
        let clock = ContinuousClock()
        let library = try SSPLibrary(product: try Product.open(sspPath, expecting: .sspLibrary))
        let t0 = clock.now
        let simulator = try SpectrumSimulator(library: library, settings: model)
        let setup = clock.now - t0
        let theta = model.parameters.sample(rows: 0..<spectra, streams: RandomStreams(seed: 1))
        func best(_ work: () -> Void) -> Double {
            var best = Duration.seconds(1e9)
            for _ in 0..<repeats {
                let start = clock.now
                work()
                best = min(best, clock.now - start)
            }
            return best.seconds
        }
        let full = best { _ = simulator.simulate(theta, threads: threads) }
        let alone = best { _ = simulator.spectra(theta, threads: threads) }
        return Result(spectra: spectra, threads: threads, setupSeconds: setup.seconds, seconds: full, spectraAloneSeconds: alone)
    }
}
