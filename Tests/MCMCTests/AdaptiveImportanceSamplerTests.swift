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
