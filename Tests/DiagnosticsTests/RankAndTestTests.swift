import DigsCore
import Foundation
import Testing
import Diagnostics

@Suite("SBC ranks and uniformity tests")
struct RankAndTestTests {
    @Test("ranks count the samples below the truth; ties are spread uniformly over the tied positions")
    func ranks() {
        var g = Xoshiro256StarStar(seed: 1)
        let samples = [0.9, 0.5, 0.1, 0.5]
        #expect(SBCRanks.rank(truth: 0.3, samples: samples, generator: &g) == 1)
        #expect(SBCRanks.rank(truth: -1, samples: samples, generator: &g) == 0)
        #expect(SBCRanks.rank(truth: 2, samples: samples, generator: &g) == 4)
        // Truth 0.5: one sample below, two equal → rank 1, 2 or 3, each with probability 1/3.
        var counts = [Int: Int]()
        for _ in 0..<30_000 { counts[SBCRanks.rank(truth: 0.5, samples: samples, generator: &g), default: 0] += 1 }
        #expect(Set(counts.keys) == [1, 2, 3])
        for r in 1...3 { #expect(abs(Double(counts[r]!) / 30_000 - 1.0 / 3) < 0.015) }
    }

    @Test("Kolmogorov survival function matches the tabulated critical values")
    func kolmogorov() {
        // Critical values of √n·D: 1.2238 (α = 0.10), 1.3581 (0.05), 1.6276 (0.01), 1.9495 (0.001).
        for (lambda, alpha) in [(1.2238, 0.10), (1.3581, 0.05), (1.6276, 0.01), (1.9495, 0.001)] {
            #expect(abs(UniformityTests.kolmogorovQ(lambda) - alpha) < 2e-4 * max(1, alpha * 100))
        }
        // Both series agree where they switch (λ = 1.18) and Q(0.5) = 0.96394.
        #expect(abs(UniformityTests.kolmogorovQ(0.5) - 0.963945) < 1e-5)
        #expect(abs(UniformityTests.kolmogorovQ(1.18 - 1e-9) - UniformityTests.kolmogorovQ(1.18 + 1e-9)) < 1e-7)
    }

    @Test("χ² survival function: closed forms for 1 and 2 degrees of freedom, and the 95th percentile for 19")
    func chiSquare() {
        for x in [0.1, 1.0, 3.7, 10.0, 40.0] {
            #expect(abs(SpecialFunctions.regularizedGammaQ(1, x / 2) - exp(-x / 2)) < 1e-12)
            #expect(abs(SpecialFunctions.regularizedGammaQ(0.5, x / 2) - erfc((x / 2).squareRoot())) < 1e-12)
        }
        // χ²₁₉ 95th percentile = 30.1435.
        #expect(abs(SpecialFunctions.regularizedGammaQ(9.5, 30.1435 / 2) - 0.05) < 1e-5)
    }

    @Test("χ² test of a perfectly flat rank histogram gives χ² = 0, a spiked one p ≈ 0")
    func chiSquareRanks() {
        let flat = (0..<400).map { $0 % 20 }  // S = 19: 20 rank values, 20 each
        let r = UniformityTests.chiSquare(ranks: flat, samples: 19, bins: 20)
        #expect(r.statistic == 0 && r.dof == 19 && abs(r.pValue - 1) < 1e-12)
        let spiked = [Int](repeating: 0, count: 400)
        #expect(UniformityTests.chiSquare(ranks: spiked, samples: 19, bins: 20).pValue < 1e-100)
    }

    @Test("percentiles follow numpy's linear rule")
    func percentiles() {
        let x = [1.0, 2, 3, 4]
        #expect(abs(SampleSummary.percentile(sorted: x, 16) - 1.48) < 1e-12)
        #expect(SampleSummary.percentile(sorted: x, 50) == 2.5)
        #expect(abs(SampleSummary.percentile(sorted: x, 84) - 3.52) < 1e-12)
        let s = SampleSummary(samples: [1, 10, 2, 20, 3, 30, 4, 40], logProb: [0, 5, 1, -2], dimensions: 2)
        #expect(s.map == [2, 20])
        #expect(s.mean == [2.5, 25])
        #expect(abs(s.std[0] - 1.25.squareRoot()) < 1e-12)
    }
}
