import DigsCore
import ForwardModel
import Foundation
import MCMC

/// One galaxy's MCMC: the settings' schedule on its `SpectrumPosterior`, with its wall time.
public struct GalaxyChain: Sendable {
    public var result: ChainResult
    /// Wall time of the run, s.
    public var seconds: Double

    public init(result: ChainResult, seconds: Double) { (self.result, self.seconds) = (result, seconds) }


    /// Samples prior × likelihood with the settings' schedule; walkers start from prior draws, the
    /// NPE's samples [S × D] of this observation, or a screening of both (`ScreenedStart`), whose
    /// best candidate joins the missed-mode check. `ageLimit`: the age of the Universe at the
    /// galaxy's redshift (Gyr), which bounds the star-formation history (`StarFormationHistory.limitingAge`).
    public static func run(observation: NoisySpectrum, ageLimit: Double?, npeSamples: [Double]?, settings: MCMCSettings,
                           prior: PriorSet, simulator: SpectrumSimulator, fluxCalibration: FluxCalibration?,
                           generator g: inout Xoshiro256StarStar) throws -> GalaxyChain {
        let clock = ContinuousClock(), began = clock.now
        // A real galaxy is no older than the Universe at its redshift.
        let prior = try ageLimit.map { try simulator.history.limitingAge(prior, to: $0) } ?? prior
        let posterior = SpectrumPosterior(prior: prior, simulator: simulator, observation: observation,
                                          fluxCalibration: fluxCalibration)
        let w = settings.resolvedWalkers, d = prior.count
        var initial = (0..<w).flatMap { _ in prior.draw(&g) }
        var screened: ScreenedStart?
        switch settings.initialization {
        case .prior: break
        case .npe: initial = npeSamples.map { Array($0[0..<(w * d)]) } ?? initial
        case .screened: break
        }
        // The NPE's samples (and, for a screened start, prior draws) weighed: the best of them
        // joins the missed-mode check whatever the start.
        if settings.initialization == .screened || npeSamples != nil {
            let draws = settings.initialization == .screened ? MCMCInitialization.screeningDraws : 0
            let candidates = (0..<draws).flatMap { _ in prior.draw(&g) } + (npeSamples ?? [])
            let start = ScreenedStart(candidates: candidates, logProb: posterior.logDensity(candidates, count: candidates.count / d),
                                      walkers: w, others: initial, dimensions: d)
            if settings.initialization == .screened { initial = start.positions }
            screened = start
        }
        var result = try settings.sampler.run(initial: initial, low: prior.entries.map(\.prior.low),
                                               high: prior.entries.map(\.prior.high), logProb: posterior.logDensity, generator: &g)
        if let screened, !screened.best.isEmpty { result.include(position: screened.best, logProb: screened.bestLogProb) }
        return GalaxyChain(result: result, seconds: (clock.now - began).seconds)
    }
}
