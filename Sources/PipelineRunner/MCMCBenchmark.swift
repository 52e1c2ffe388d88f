import DigsCore
import ForwardModel
import Foundation
import Inference
import MCMC
import ProductIO
import SpectralSynthesis

/// Times one galaxy's MCMC at the pipeline's schedule on one core — what `digs benchmark mcmc`
/// prints — with the cost per likelihood call (one forward-model spectrum and its χ²).
public enum MCMCBenchmark {
    public struct Result: Codable, Sendable {
        public let likelihoodCalls: Int
        public let seconds: Double
        public var microsecondsPerCall: Double { 1e6 * seconds / Double(likelihoodCalls) }
    }

    public static func run(reads: StageReads.MCMC, observationsPath: String,
                           sspPath: String, galaxy: Int = 0) throws -> Result {
        let (settings, model, nuisances) = (reads.mcmc, reads.model, reads.observation.nuisances)
        try settings.validate()
        let source = try ObservationSource(path: observationsPath, observation: reads.observation, seed: 1)
        try source.requireGrid(of: model)
        let simulator = try SpectrumSimulator(library: try SSPLibrary(product: try Product.open(sspPath, expecting: .sspLibrary)),
                                              settings: model)
        let observation = try source.read(galaxy..<(galaxy + 1))
        var g = RandomStreams(seed: 1).generator(.mcmc, index: UInt64(galaxy))
        let chain = try GalaxyChain.run(observation: observation.observation(0), ageLimit: observation.ageLimit?[0], npeSamples: nil,
                                        settings: settings, prior: model.parameters, simulator: simulator,
                                        fluxCalibration: nuisances.fluxCalibration, generator: &g)
        return Result(likelihoodCalls: settings.likelihoodCalls, seconds: chain.seconds)
    }
}
