import Diagnostics
import DigsCore
import Foundation
import MCMC
import Testing

@Suite("Adaptive importance sampling: from a proposal that misses the target to weights that represent it")
struct AdaptiveImportanceSamplerTests {
    /// A narrow, correlated 2-D Gaussian inside the box [0, 10]²: mean (2, 7), sds (0.05, 0.2), ρ = 0.9.
    static let (mean, sd, rho) = ([2.0, 7.0], [0.05, 0.2], 0.9)
    static func logTarget(_ rows: [Double], _ n: Int) -> [Double] {
        (0..<n).map { i in
            let a = (rows[2 * i] - mean[0]) / sd[0], b = (rows[2 * i + 1] - mean[1]) / sd[1]
            return -(a * a - 2 * rho * a * b + b * b) / (2 * (1 - rho * rho))
        }
    }

    /// Draws of an independent Gaussian proposal narrower than the target (0.6 of its sds) and shifted by 1 sd: it misses mass, with their log weights.
    static func firstDraws(_ n: Int, _ g: inout Xoshiro256StarStar) -> (theta: [Double], logWeights: [Double]) {
        var theta = [Double](), logQ = [Double]()
        for _ in 0..<n {
            let z = [g.nextNormal(), g.nextNormal()]
            for j in 0..<2 {
                let shifted: Double = mean[j] + 1.0 * sd[j]
                theta.append(shifted + 0.6 * sd[j] * z[j])
            }
            logQ.append(-(z[0] * z[0] + z[1] * z[1]) / 2)
        }
        return (theta, zip(logTarget(theta, n), logQ).map { $0 - $1 })
    }

    @Test("the refined weights pass k̂ and their weighted moments are the target's")
    func refinesToTheTarget() throws {
        var g = Xoshiro256StarStar(seed: 8)
        let first = Self.firstDraws(1000, &g)
        #expect(!ImportanceWeights(logWeights: first.logWeights).isReliable)  // the case it is for
        let sampler = AdaptiveImportanceSampler(box: BoxCoordinates(low: [0, 0], high: [10, 10]))
        let r = try #require(sampler.refine(theta: first.theta, logWeights: first.logWeights, logTarget: Self.logTarget, generator: &g))
        #expect(r.weights.isReliable && r.rounds <= 4 && r.theta.count == 2 * sampler.draws)
        let top = r.logWeights.max()!, w = r.logWeights.map { exp($0 - top) }, total = w.reduce(0, +)
        var m = [0.0, 0.0], c = [[0.0, 0.0], [0.0, 0.0]]
        for i in w.indices { for j in 0..<2 { m[j] += w[i] * r.theta[2 * i + j] / total } }
        for i in w.indices {
            for j in 0..<2 {
                for k in 0..<2 {
                    let dj: Double = r.theta[2 * i + j] - m[j], dk: Double = r.theta[2 * i + k] - m[k]
                    c[j][k] += w[i] * dj * dk / total
                }
            }
        }
        let ess = r.weights.essFraction * Double(w.count)
        for j in 0..<2 {
            #expect(abs(m[j] - Self.mean[j]) < 5 * Self.sd[j] / ess.squareRoot(), "mean \(j): \(m[j])")
            #expect(abs(c[j][j].squareRoot() / Self.sd[j] - 1) < 0.05, "sd \(j): \(c[j][j].squareRoot())")
        }
        #expect(abs(c[0][1] / (c[0][0] * c[1][1]).squareRoot() - Self.rho) < 0.02)
    }

    @Test("from a proposal 200 times wider than the target (the weights on a few draws) the best draws lead it there")
    func findsTheTargetFromTheBestDraws() throws {
        var g = Xoshiro256StarStar(seed: 10)
        let theta = (0..<4000).flatMap { _ in [10 * g.nextUniform(), 10 * g.nextUniform()] }
        let logWeights = Self.logTarget(theta, 4000)  // uniform proposal: constant log q
        #expect(ImportanceWeights(logWeights: logWeights).essFraction * 4000 < 10)
        var sampler = AdaptiveImportanceSampler(box: BoxCoordinates(low: [0, 0], high: [10, 10]))
        sampler.rounds = 8
        let r = try #require(sampler.refine(theta: theta, logWeights: logWeights, logTarget: Self.logTarget, generator: &g))
        let top = r.logWeights.max()!, w = r.logWeights.map { exp($0 - top) }, total = w.reduce(0, +)
        for j in 0..<2 {
            let m = w.indices.reduce(0.0) { $0 + w[$1] * r.theta[2 * $1 + j] } / total
            #expect(abs(m - Self.mean[j]) < 0.1 * Self.sd[j], "mean \(j): \(m)")
        }
    }

    /// A thin ridge in [0, 10]²: x₀ ~ N(2, 0.05²), x₁ | x₀ ~ N(7 + 4(x₀ − 2), 0.002²) — as a
    /// spectrum's amplitude pins log_mass given the other parameters.
    static func ridge(_ rows: [Double], _ n: Int) -> [Double] {
        (0..<n).map { i in
            let a = (rows[2 * i] - 2) / 0.05, b = (rows[2 * i + 1] - 7 - 4 * (rows[2 * i] - 2)) / 0.002
            return -(a * a + b * b) / 2
        }
    }

    @Test("with x₁'s exact conditional the rounds propose x₀ alone, and the weighted draws have the ridge's closed-form moments")
    func exactConditional() throws {
        var g = Xoshiro256StarStar(seed: 14)
        // First draws: a wide Gaussian around (2.1, 7.3), far wider than the ridge.
        var theta = [Double](), logQ = [Double]()
        for _ in 0..<4000 {
            let z = [g.nextNormal(), g.nextNormal()]
            theta += [2.1 + 0.1 * z[0], 7.3 + 0.5 * z[1]]
            logQ.append(-(z[0] * z[0] + z[1] * z[1]) / 2)
        }
        let logWeights = zip(Self.ridge(theta, 4000), logQ).map { $0 - $1 }
        let conditional = AdaptiveImportanceSampler.GaussianConditional(index: 1) { rows, n in
            (0..<n).map { i in (mean: 7 + 4 * (rows[2 * i] - 2), sd: 0.002) }
        }
        let sampler = AdaptiveImportanceSampler(box: BoxCoordinates(low: [0, 0], high: [10, 10]))
        let r = try #require(sampler.refine(theta: theta, logWeights: logWeights, logTarget: Self.ridge, conditional: conditional, generator: &g))
        #expect(r.weights.isReliable && r.weights.essFraction > 0.3, "ESS/N \(r.weights.essFraction)")
        let top = r.logWeights.max()!, w = r.logWeights.map { exp($0 - top) }, total = w.reduce(0, +)
        func moment(_ f: (Int) -> Double) -> Double { w.indices.reduce(0.0) { $0 + w[$1] * f($1) } / total }
        let m0 = moment { r.theta[2 * $0] }, m1 = moment { r.theta[2 * $0 + 1] }
        let s0 = moment { pow(r.theta[2 * $0] - m0, 2) }.squareRoot()
        let across = moment { pow(r.theta[2 * $0 + 1] - 7 - 4 * (r.theta[2 * $0] - 2), 2) }.squareRoot()
        let ess = r.weights.essFraction * Double(w.count)
        #expect(abs(m0 - 2) < 5 * 0.05 / ess.squareRoot() && abs(m1 - 7) < 5 * 0.2 / ess.squareRoot(), "means \(m0), \(m1)")
        #expect(abs(s0 / 0.05 - 1) < 0.05, "sd of x₀: \(s0)")
        #expect(abs(across / 0.002 - 1) < 0.05, "sd across the ridge: \(across)")
    }

    @Test("first draws with a single point of weight say too little: no result")
    func refusesWithoutInformation() {
        var g = Xoshiro256StarStar(seed: 9)
        let theta = (0..<200).flatMap { _ in [5 + g.nextUniform(), 5 + g.nextUniform()] }
        var logWeights = [Double](repeating: -.infinity, count: 200)
        logWeights[17] = 0
        let sampler = AdaptiveImportanceSampler(box: BoxCoordinates(low: [0, 0], high: [10, 10]))
        #expect(sampler.refine(theta: theta, logWeights: logWeights, logTarget: Self.logTarget, generator: &g) == nil)
    }
}
