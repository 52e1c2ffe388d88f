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
    }
}
