import DigsCore
import Foundation
import MCMC
import Testing

@Suite("Chain convergence: split-R̂ and length in τ")
struct ConvergenceTests {
    /// Two walkers of 4 steps, halves [0, 2], [1, 3], [4, 6], [5, 7] (n = 2): means 1, 2, 5, 6,
    /// grand mean 3.5, B = 2/3 · (6.25 + 2.25 + 2.25 + 6.25) = 34/3, each half's variance 2,
    /// so W = 2 and R̂ = √((½·2 + 17/3) / 2) = √(10/3).
    @Test func byHand() {
        let r = ChainConvergence.splitRHat([[0, 2, 1, 3], [4, 6, 5, 7]])
        #expect(abs(r - (10.0 / 3).squareRoot()) < 1e-12)
    }

    @Test func independentDrawsGiveOneAndShiftedWalkersDoNot() {
        var g = Xoshiro256StarStar(seed: 2)
        let iid = (0..<16).map { _ in (0..<2000).map { _ in g.nextNormal() } }
        #expect(abs(ChainConvergence.splitRHat(iid) - 1) < 0.005)
        let shifted = iid.enumerated().map { k, c in c.map { $0 + (k == 0 ? 1.5 : 0) } }
        #expect(ChainConvergence.splitRHat(shifted) > 1.02)
        // A trend within each chain (not yet stationary) shows between the halves.
        let drifting = iid.map { c in c.enumerated().map { $0.element + Double($0.offset) / 500 } }
        #expect(ChainConvergence.splitRHat(drifting) > 1.1)
    }

    @Test func convergedNeedsFiftyTausAndRHat() {
        #expect(ChainConvergence(autocorrelationTime: [10, 20], splitRHat: [1.001, 1.002], steps: 1000).isConverged)
        let short = ChainConvergence(autocorrelationTime: [10, 20], splitRHat: [1.001, 1.002], steps: 128)
        #expect(short.problem?.contains("6.4 τ") == true)
        let apart = ChainConvergence(autocorrelationTime: [10], splitRHat: [1.05], steps: 1000)
        #expect(apart.problem?.contains("split-R̂ up to 1.050") == true)
        // Within 2 nats of the best position known production reached the peak; beyond, it missed it.
        #expect(ChainConvergence(autocorrelationTime: [10], splitRHat: [1.001], steps: 1000, missedLogProbability: 1.9).isConverged)
        let missed = ChainConvergence(autocorrelationTime: [10], splitRHat: [1.001], steps: 1000, missedLogProbability: 8.5)
        #expect(missed.problem?.contains("log p 8.5 above every production step") == true)
    }

    @Test("a screened start: the most probable distinct candidates, then the other starts")
    func screenedStart() {
        // Candidates in 1-D with log p 0, 3, 3 (the same point twice), 1, −∞; 5 walkers: ⌈5/2⌉ = 3 from the candidates.
        let start = ScreenedStart(candidates: [10, 20, 20, 30, 40], logProb: [0, 3, 3, 1, -.infinity], walkers: 5,
                                  others: [-1, -2, -3, -4, -5], dimensions: 1)
        #expect(start.positions == [20, 30, 10, -1, -2])
        #expect(start.best == [20] && start.bestLogProb == 3)
        // Fewer finite candidates than half the walkers: the others fill the rest.
        let few = ScreenedStart(candidates: [7, 8], logProb: [-.infinity, 2], walkers: 4, others: [0, 1, 2, 3], dimensions: 1)
        #expect(few.positions == [8, 0, 1, 2])
    }
}
