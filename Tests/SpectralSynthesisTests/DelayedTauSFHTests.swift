import Foundation
import SpectralSynthesis
import Testing

/// Bin masses of the delayed-τ SFH against numerical integration and analytic limits.
struct DelayedTauSFHTests {
    /// ∫ SFR over lookback ages [a1, a2] by the midpoint rule with many steps, normalised.
    func numericalFraction(_ sfh: DelayedTauSFH, _ a1: Double, _ a2: Double, steps: Int = 200_000) -> Double {
        func sfr(_ a: Double) -> Double {
            let t = sfh.age - a
            return t > 0 ? t / sfh.tau * exp(-t / sfh.tau) : 0
        }
        func integral(_ lo: Double, _ hi: Double) -> Double {
            let h = (hi - lo) / Double(steps)
            return (0..<steps).reduce(0) { $0 + sfr(lo + (Double($1) + 0.5) * h) } * h
        }
        return integral(max(0, a1), min(sfh.age, a2)) / integral(0, sfh.age)
    }

    @Test(arguments: [(1e9, 1e8), (2e9, 1e9), (5e8, 1e10), (3.9e9, 1e8), (1e7, 1e9)])
    func closedFormMatchesNumericalIntegration(_ age: Double, _ tau: Double) {
        let sfh = DelayedTauSFH(age: age, tau: tau)
        let edges = [0, 0.1 * age, 0.37 * age, 0.8 * age, 0.999 * age, age, 1.5 * age]
        var fractions = [Double](repeating: 0, count: edges.count - 1)
        sfh.binFractions(edges: edges, into: &fractions)
        for i in 0..<(edges.count - 2) {
            let expected = numericalFraction(sfh, edges[i], edges[i + 1])
            #expect(abs(fractions[i] - expected) < 1e-8, "bin \(i): \(fractions[i]) vs \(expected)")
        }
        // The bins cover [0, age]: the fractions sum to 1, and the bin beyond the age is empty.
        #expect(abs(fractions.reduce(0, +) - 1) < 1e-12)
        #expect(fractions.last == 0)
    }

    @Test func ageInsideABinKeepsOnlyTheFormedPart() {
        let sfh = DelayedTauSFH(age: 1.5e9, tau: 5e8)
        var f = [Double](repeating: 0, count: 2)
        sfh.binFractions(edges: [0, 1e9, 2e9], into: &f)
        #expect(abs(f[1] - numericalFraction(sfh, 1e9, 2e9)) < 1e-9)
        #expect(abs(f[0] + f[1] - 1) < 1e-12)
    }

    @Test func tauMuchLongerThanAgeGivesLinearlyRisingSFR() {
        // τ ≫ t_age: SFR ∝ t, so mass formed in lookback [a1, a2] is ((T−a1)² − (T−a2)²)/T².
        let T = 1e9
        let sfh = DelayedTauSFH(age: T, tau: 1e17)  // corrections O(T/τ) = 1e-8
        let edges = [0, 2e8, 5e8, 1e9]
        var f = [Double](repeating: 0, count: 3)
        sfh.binFractions(edges: edges, into: &f)
        for i in 0..<3 {
            let expected = (pow(T - edges[i], 2) - pow(T - edges[i + 1], 2)) / (T * T)
            #expect(abs(f[i] - expected) < 1e-7)
        }
    }

    @Test func tauMuchShorterThanAgeIsABurstAtTheStart() {
        // τ ≪ t_age: all stars form within ~30τ of the start, i.e. at the oldest lookback ages.
        let sfh = DelayedTauSFH(age: 4e9, tau: 1e6)
        var f = [Double](repeating: 0, count: 2)
        sfh.binFractions(edges: [0, 4e9 - 3e7, 4e9], into: &f)
        #expect(f[0] < 1e-9)
        #expect(abs(f[1] - 1) < 1e-9)
    }

    @Test func seriesAndDirectFormsMeetAtTheSwitch() {
        let below = DelayedTauSFH.p2(0.1.nextDown), above = DelayedTauSFH.p2(0.1)
        #expect(abs(below - above) / above < 1e-13)
        // P₂(x) ≈ x²/2 for tiny x, where 1 − (1 + x)e^(−x) loses every digit.
        #expect(abs(DelayedTauSFH.p2(1e-9) / 5e-19 - 1) < 1e-8)
    }

    @Test(arguments: [(1e9, 1e8), (2e9, 1e10), (1e7, 1e9), (3e9, 3e9)])
    func sfrWeightedAgeMatchesNumericalMean(_ age: Double, _ tau: Double) {
        let sfh = DelayedTauSFH(age: age, tau: tau)
        let n = 200_000, h = age / Double(n)
        var m = 0.0, ma = 0.0
        for i in 0..<n {
            let t = (Double(i) + 0.5) * h
            let w = t * exp(-t / tau)
            m += w
            ma += w * (age - t)
        }
        #expect(abs(sfh.sfrWeightedAge - ma / m) / age < 1e-8)
    }
}
