import DigsCore
import Foundation
import Inference
import NeuralFlows
import Testing

/// One galaxy's posterior as `digs infer` stores it, against closed forms: the rejection at the
/// age of the Universe and its renormalisation, and the refusal of an observation the flow
/// cannot take. (Resampling and refinement are tested end to end against a converged MCMC.)
@Suite("Galaxy posterior (age bound, refusals)")
struct GalaxyPosteriorTests {
    /// q uniform on a box: log q = −log volume everywhere inside.
    struct UniformBox: ObservationPosterior {
        let low: [Double], high: [Double]
        var logVolume: Double { -zip(low, high).reduce(0) { $0 + log($1.1 - $1.0) } }

        func sample(count: Int, generator g: inout Xoshiro256StarStar) -> (theta: [Double], logProb: [Double], spectra: [Float]?) {
            let theta = (0..<count).flatMap { _ in zip(low, high).map { $0 + ($1 - $0) * g.nextUniform() } }
            return (theta, [Double](repeating: logVolume, count: count), nil)
        }

        func logProb(_ rows: [Double], count: Int) -> [Double] { [Double](repeating: logVolume, count: count) }
    }

    /// Draws below the limit only; log q renormalised by the passing fraction, whose closed form
    /// is (limit − low)/(high − low) for a uniform q: shift = −log 0.3 = 1.204 here.
    @Test func ageBoundKeepsDrawsBelowItAndRenormalises() throws {
        let q = UniformBox(low: [8, 0], high: [13, 1])
        var g = Xoshiro256StarStar(seed: 5)
        let drawn = try #require(GalaxyPosterior.draw(q, count: 2000, fitsAge: { $0[$0.startIndex + 1] <= 0.3 }, generator: &g))
        #expect(drawn.logProb.count == 2000 && drawn.theta.count == 4000)
        #expect((0..<2000).allSatisfy { drawn.theta[2 * $0 + 1] <= 0.3 })
        // Binomial error of the passing fraction over ~6700 draws: sd ≈ 0.019 in the shift.
        #expect(abs(drawn.logShift - -log(0.3)) < 0.08, "shift \(drawn.logShift)")
        let expected: Double = q.logVolume + drawn.logShift
        #expect(drawn.logProb.allSatisfy { (value: Double) -> Bool in abs(value - expected) < 1e-12 })
        // Below the limit q is uniform too: the kept t_age fill 0…0.3 evenly (mean 0.15, sd 0.087/√2000).
        let ages: [Double] = (0..<2000).map { (k: Int) -> Double in drawn.theta[2 * k + 1] }
        let mean = ages.reduce(0, +) / 2000
        #expect(abs(mean - 0.15) < 0.008)
    }

    /// No limit (`DelayedTauHistory.limitingAge` leaves the prior as it is): the first draws,
    /// unchanged; a limit holding 0.1 % of q's mass:
    /// fewer than `count` pass in 100 rounds, so no draws (the galaxy is refused).
    @Test func ageBoundOutsideTheBoxChangesNothingAndAnEmptyRegionGivesNone() throws {
        let q = UniformBox(low: [8, 0], high: [13, 1])
        var g = Xoshiro256StarStar(seed: 6), h = Xoshiro256StarStar(seed: 6)
        let all = try #require(GalaxyPosterior.draw(q, count: 100, fitsAge: nil, generator: &g))
        #expect(all.theta == q.sample(count: 100, generator: &h).theta && all.logShift == 0)
        #expect(GalaxyPosterior.draw(q, count: 100, fitsAge: { $0[$0.startIndex + 1] <= 0.001 }, generator: &g) == nil)
    }

    /// A masked pixel, for a flow trained on complete spectra: flag 2, NaN samples, the reason in words.
    @Test func anObservationTheFlowCannotTakeIsRefused() throws {
        let simulator = try AnalyticMassPosteriorTests.simulator()
        let p = simulator.wavelength.count
        var mask = [UInt8](repeating: 1, count: p)
        mask[3] = 0
        let observation = NoisySpectrum(logFlux: [Float](repeating: 0, count: p), sigma: [Float](repeating: 0.02, count: p), mask: mask)
        var g = Xoshiro256StarStar(seed: 1)
        var settings = InferSettings()
        (settings.samples, settings.importanceSamples, settings.ppcSamples) = (50, 20, 10)
        let galaxy = GalaxyPosterior(observation: observation, posterior: AnalyticMassPosteriorTests.UniformFlow(), analytic: .logMass,
                                     trainedSigma: nil, simulator: simulator, prior: .paper, fluxCalibration: nil,
                                     settings: settings, generator: &g)
        #expect(galaxy.flags == .invalidInput)
        #expect(galaxy.refusal?.contains("1 of \(p) pixels masked") == true)
        #expect(galaxy.samples.count == 250 && galaxy.samples.allSatisfy(\.isNaN) && galaxy.summary == nil)
        #expect(galaxy.logWeights.count == 20 && galaxy.logWeights.allSatisfy(\.isNaN))
    }
}
