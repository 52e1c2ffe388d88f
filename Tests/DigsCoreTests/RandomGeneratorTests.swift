import DigsCore
import Foundation
import Testing

/// The generators against the reference C implementations of their authors, and the derived
/// variates against their distributions.
struct RandomGeneratorTests {
    @Test func splitMix64MatchesReferenceImplementation() {
        // Outputs of Vigna's splitmix64.c seeded with 1234567.
        var g = SplitMix64(seed: 1_234_567)
        let expected: [UInt64] = [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
                                  4_593_380_528_125_082_431, 16_408_922_859_458_223_821]
        #expect((0..<5).map { _ in g.next() } == expected)
    }

    @Test func xoshiroMatchesReferenceImplementation() {
        // Outputs of Blackman & Vigna's xoshiro256starstar.c from the state {1, 2, 3, 4}.
        var g = Xoshiro256StarStar(state: (1, 2, 3, 4))
        let expected: [UInt64] = [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240,
                                  1_216_172_134_540_287_360, 607_988_272_756_665_600]
        #expect((0..<6).map { _ in g.next() } == expected)
    }

    @Test func seedingExpandsWithSplitMix64() {
        // Reference: state = four splitmix64 outputs from 42, then xoshiro256** outputs.
        var g = Xoshiro256StarStar(seed: 42)
        let expected: [UInt64] = [1_546_998_764_402_558_742, 6_990_951_692_964_543_102, 12_544_586_762_248_559_009]
        #expect((0..<3).map { _ in g.next() } == expected)
    }

    @Test func uniformVariatesHaveUniformMoments() {
        var g = Xoshiro256StarStar(seed: 7)
        let n = 200_000
        let u = (0..<n).map { _ in g.nextUniform() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = u.reduce(0, +) / Double(n)
        let variance = u.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        // Standard errors: mean sqrt(1/12/n) ≈ 6.5e-4, variance ≈ sqrt(1/180/n) ≈ 1.7e-4; allow 5σ.
        #expect(abs(mean - 0.5) < 5 * 6.5e-4)
        #expect(abs(variance - 1.0 / 12.0) < 5 * 1.7e-4)
    }

    @Test func normalVariatesFollowTheStandardNormal() {
        var g = Xoshiro256StarStar(seed: 2026)
        let n = 100_000
        let z = (0..<n).map { _ in g.nextNormal() }
        let mean = z.reduce(0, +) / Double(n)
        let variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        #expect(abs(mean) < 5 / Double(n).squareRoot())
        #expect(abs(variance - 1) < 5 * (2 / Double(n)).squareRoot())
        // Kolmogorov–Smirnov distance to Φ; the 0.1 % critical value is 1.95/√n.
        let d = Statistics.ksDistance(z) { 0.5 * erfc(-$0 / 2.0.squareRoot()) }
        #expect(d < 1.95 / Double(n).squareRoot())
    }

    @Test func aBrokenNormalGeneratorFailsTheSameCheck() {
        // The KS check must be able to fail: variates with σ = 1.05 are rejected.
        var g = Xoshiro256StarStar(seed: 2026)
        let z = (0..<100_000).map { _ in 1.05 * g.nextNormal() }
        let d = Statistics.ksDistance(z) { 0.5 * erfc(-$0 / 2.0.squareRoot()) }
        #expect(d > 1.95 / Double(100_000).squareRoot())
    }
}

/// Small statistics helpers for the tests.
enum Statistics {
    /// The Kolmogorov–Smirnov distance between a sample and a continuous CDF.
    static func ksDistance(_ sample: [Double], cdf: (Double) -> Double) -> Double {
        let sorted = sample.sorted()
        let n = Double(sorted.count)
        var d = 0.0
        for (i, x) in sorted.enumerated() {
            let f = cdf(x)
            d = max(d, abs(Double(i + 1) / n - f), abs(f - Double(i) / n))
        }
        return d
    }

    /// Pearson correlation of two equally long samples.
    static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) {
            sab += (x - ma) * (y - mb)
            saa += (x - ma) * (x - ma)
            sbb += (y - mb) * (y - mb)
        }
        return sab / (saa * sbb).squareRoot()
    }
}
