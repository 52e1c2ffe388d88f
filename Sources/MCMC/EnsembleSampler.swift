import DigsCore
import Foundation

/// The affine-invariant ensemble sampler of Goodman & Weare (2010) with the stretch move,
/// in emcee's parallel ("red–blue") form: the walkers are split into two halves; each walker
/// of one half proposes y = x_j + z·(x_k − x_j) with x_j a random walker of the other half and
/// z drawn from g(z) ∝ 1/√z on [1/a, a]; it moves with probability
/// min(1, z^(D−1)·p(y)/p(x_k)). All proposals of a half are evaluated in one batch, so the
/// log-probability can run a batched forward model.
public struct EnsembleSampler: Sendable {
    public let dimensions: Int
    public let walkers: Int
    /// The stretch scale a (emcee's default 2).
    public let stretch: Double

    /// Log-probabilities of `count` positions given row-major [count × D]; −∞ outside the support.
    public typealias LogProbability = (_ positions: [Double], _ count: Int) -> [Double]

    public init(dimensions: Int, walkers: Int, stretch: Double = 2) throws {
        guard dimensions >= 1 else { throw DigsError.invalidInput(field: "mcmc.dimensions", problem: "must be at least 1") }
        guard walkers >= 2 * dimensions, walkers % 2 == 0 else {
            throw DigsError.invalidInput(field: "mcmc.walkers", problem: "must be even and at least twice the number of parameters (\(2 * dimensions)); is \(walkers)")
        }
        guard stretch > 1 else { throw DigsError.invalidInput(field: "mcmc.stretch", problem: "must be > 1") }
        self.dimensions = dimensions
        self.walkers = walkers
        self.stretch = stretch
    }

    /// The ensemble: positions [W × D], their log-probabilities, and accepted moves per walker.
    public struct State: Sendable {
        public var positions: [Double]
        public var logProb: [Double]
        public var accepted: [Int]
        public var steps = 0

        /// Fraction of accepted moves over all walkers and steps so far.
        public var acceptanceFraction: Double {
            steps == 0 ? 0 : Double(accepted.reduce(0, +)) / Double(steps * accepted.count)
        }
    }

    /// The starting state; every walker must have a finite log-probability (inside the prior).
    public func start(_ positions: [Double], logProb: LogProbability) throws -> State {
        guard positions.count == walkers * dimensions else {
            throw DigsError.invalidInput(field: "mcmc.initial", problem: "\(positions.count) values for \(walkers) walkers × \(dimensions) parameters")
        }
        let lp = logProb(positions, walkers)
        if let bad = lp.firstIndex(where: { !$0.isFinite }) {
            let p = positions[(bad * dimensions)..<((bad + 1) * dimensions)].map { String(format: "%.4g", $0) }
            throw DigsError.invalidInput(field: "mcmc.initial", problem: "walker \(bad) starts at (\(p.joined(separator: ", "))) where the log-probability is not finite (outside the prior?)")
        }
        return State(positions: positions, logProb: lp, accepted: [Int](repeating: 0, count: walkers))
    }

    /// One step of every walker (both halves in turn).
    public func step(_ s: inout State, logProb: LogProbability, generator g: inout Xoshiro256StarStar) {
        let d = dimensions, half = walkers / 2
        for first in [0, half] {
            let other = first == 0 ? half : 0
            var proposals = [Double](repeating: 0, count: half * d), logZ = [Double](repeating: 0, count: half)
            for i in 0..<half {
                let k = first + i, j = other + Int(g.next() % UInt64(half))
                let z = pow((stretch - 1) * g.nextUniform() + 1, 2) / stretch
                logZ[i] = log(z)
                for m in 0..<d {
                    let xj = s.positions[j * d + m]
                    proposals[i * d + m] = xj + z * (s.positions[k * d + m] - xj)
                }
            }
            let lp = logProb(proposals, half)
            for i in 0..<half {
                let k = first + i
                let logAccept = Double(d - 1) * logZ[i] + lp[i] - s.logProb[k]
                if lp[i].isFinite && log(g.nextUniform()) < logAccept {
                    for m in 0..<d { s.positions[k * d + m] = proposals[i * d + m] }
                    s.logProb[k] = lp[i]
                    s.accepted[k] += 1
                }
            }
        }
        s.steps += 1
    }
}
