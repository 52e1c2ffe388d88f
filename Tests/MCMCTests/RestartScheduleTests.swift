import DigsCore
import Foundation
import MCMC
import Testing

@Suite("MCMC restart schedule")
struct RestartScheduleTests {
    /// A 2-D Gaussian N((1, −2), diag(0.3², 0.1²)) inside the box [−5, 5]²: the production
    /// chain's mean and standard deviation must match it.
    @Test func samplesAKnownGaussian() throws {
        let mean = [1.0, -2.0], sd = [0.3, 0.1]
        let calls = Counter()
        let logProb: EnsembleSampler.LogProbability = { positions, count in
            calls.add(count)
            return (0..<count).map { r in
                (0..<2).reduce(0.0) { acc, j in
                    let v = positions[r * 2 + j]
                    guard abs(v) <= 5 else { return -.infinity }
                    return acc - 0.5 * pow((v - mean[j]) / sd[j], 2)
                }
            }
        }
        let schedule = RestartSchedule(walkers: 16, burnIn: [300, 300], production: 1500, ballFraction: 1e-3)
        var g = Xoshiro256StarStar(seed: 11)
        let initial = (0..<32).map { _ in -5 + 10 * g.nextUniform() }
        let r = try schedule.run(initial: initial, low: [-5, -5], high: [5, 5], logProb: logProb, generator: &g)
        #expect(r.chain.count == 1500 * 16 * 2 && r.logProb.count == 1500 * 16 && r.burnInTrace.count == 600)
        for j in 0..<2 {
            let v = stride(from: j, to: r.chain.count, by: 2).map { Double(r.chain[$0]) }
            let m = v.reduce(0, +) / Double(v.count)
            let s = (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()
            #expect(abs(m - mean[j]) < 0.1 * sd[j] * 3, "mean of parameter \(j): \(m)")
            #expect(abs(s / sd[j] - 1) < 0.1, "sd of parameter \(j): \(s)")
        }
        #expect(abs(r.best[0] - 1) < 0.05 && abs(r.best[1] + 2) < 0.02)
        // Every evaluation is counted by the schedule: W at each start, W per step.
        #expect(calls.value == schedule.logProbabilityCalls + 16)  // + the restart's fresh start
        #expect(r.acceptanceFraction > 0.3 && r.acceptanceFraction < 0.9)
    }

    /// The restart ball stays inside the bounds even around a best position on the edge.
    @Test func restartsStayInsideTheSupport() throws {
        let logProb: EnsembleSampler.LogProbability = { positions, count in
            (0..<count).map { r in
                let (a, b) = (positions[r * 2], positions[r * 2 + 1])
                return a < 0 || a > 1 || b < 0 || b > 1 ? -.infinity : 10 * a + 10 * b  // mass piles up at the corner (1, 1)
            }
        }
        let schedule = RestartSchedule(walkers: 8, burnIn: [200, 50, 50], production: 50, ballFraction: 0.01)
        var g = Xoshiro256StarStar(seed: 3)
        let r = try schedule.run(initial: (0..<16).map { _ in g.nextUniform() }, low: [0, 0], high: [1, 1], logProb: logProb, generator: &g)
        #expect(r.chain.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(r.logProb.allSatisfy { $0.isFinite })
    }
}

/// A call counter the log-probability closure can update.
final class Counter: @unchecked Sendable {
    private(set) var value = 0
    func add(_ n: Int) { value += n }
}
