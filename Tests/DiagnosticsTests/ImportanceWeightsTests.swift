import Diagnostics
import DigsCore
import Foundation
import Testing

@Suite("Importance weights: ESS and Pareto k̂")
struct ImportanceWeightsTests {
    @Test func essOfEqualAndOfTwoValuedWeights() {
        #expect(abs(ImportanceWeights(logWeights: [Double](repeating: -3, count: 100)).essFraction - 1) < 1e-12)
        // Half the draws weigh 1, half weigh 3: ESS/N = (2)² / (5) = 0.8.
        let w = [Double](repeating: 0, count: 50) + [Double](repeating: log(3), count: 50)
        #expect(abs(ImportanceWeights(logWeights: w).essFraction - 0.8) < 1e-12)
        // One draw ruled out by the target (−∞) weighs nothing.
        let ruledOut = ImportanceWeights(logWeights: [0, 0, 0, -.infinity])
        #expect(abs(ruledOut.essFraction - 0.75) < 1e-12)
    }

    /// Exceedances drawn from a generalised Pareto distribution of known shape k (inverse CDF
    /// x = σ((1 − u)^(−k) − 1)/k): the estimate recovers k.
    @Test(arguments: [0.2, 0.5, 0.9])
    func shapeOfAKnownGeneralizedPareto(k: Double) {
        var g = Xoshiro256StarStar(seed: 17)
        let x = (0..<4000).map { _ in 2 * (pow(1 - g.nextUniform(), -k) - 1) / k }.sorted()
        let estimate = ImportanceWeights.generalizedParetoShape(exceedances: x)
        #expect(abs(estimate - k) < 0.08, "k = \(k): estimated \(estimate)")
    }

    /// Proposal N(0, 1) for target N(0, s²): the weights have a Pareto tail of shape
    /// k = 1 − 1/s² (s > 1), so q too narrow by 2 gives k = 0.75 (unreliable) and the exact
    /// proposal k ≈ 0 (reliable) — the standard example of Vehtari et al.
    @Test func psisSeesAProposalThatIsTooNarrow() {
        var g = Xoshiro256StarStar(seed: 5)
        let z = (0..<4000).map { _ in g.nextNormal() }
        let exact = ImportanceWeights(logWeights: z.map { _ in 0 })
        let narrow = ImportanceWeights(logWeights: z.map { -0.5 * $0 * $0 / 4 + 0.5 * $0 * $0 })
        #expect(narrow.paretoK > 0.6 && narrow.paretoK < 0.9, "k̂ = \(narrow.paretoK)")
        #expect(!narrow.isReliable)
        #expect(exact.essFraction == 1 && exact.paretoK == -.infinity && exact.isReliable)
        let wide = ImportanceWeights(logWeights: z.map { -0.5 * $0 * $0 / 0.64 + 0.5 * $0 * $0 })
        #expect(wide.paretoK < 0.5 && wide.isReliable, "k̂ = \(wide.paretoK)")
    }

    @Test func systematicResamplingTakesEachDrawFloorOrCeilOfItsShare() {
        var g = Xoshiro256StarStar(seed: 4)
        let logWeights = (0..<500).map { i -> Double in i % 37 == 0 ? -.infinity : 3 * g.nextNormal() }
        let w = logWeights.map { $0.isFinite ? exp($0) : 0 }, total = w.reduce(0, +)
        for u in [0.0, 0.37, 0.999] {
            let chosen = ImportanceWeights.systematicResample(logWeights: logWeights, count: 300, uniform: u)
            #expect(chosen.count == 300 && chosen == chosen.sorted())
            var taken = [Int](repeating: 0, count: 500)
            for i in chosen { taken[i] += 1 }
            for i in 0..<500 {
                let share = 300 * w[i] / total
                #expect(Double(taken[i]) >= share.rounded(.down) - 1e-9 && Double(taken[i]) <= share.rounded(.up) + 1e-9, "draw \(i)")
            }
            #expect(chosen.allSatisfy { logWeights[$0].isFinite })
        }
        // Equal weights and as many draws as kept: each draw once.
        #expect(ImportanceWeights.systematicResample(logWeights: [Double](repeating: 0.5, count: 8), count: 8, uniform: 0.5) == Array(0..<8))
    }
}
