import DigsCore
import Foundation

/// An ensemble MCMC sampler in emcee's parallel ("red–blue") form, with three moves
/// (`Move`); each leaves the ensemble's target ∏ p(x_k) invariant, so any mixture of them does:
///
/// - stretch (Goodman & Weare 2010): the walkers are split into two halves; each walker of one
///   half proposes y = x_j + z·(x_k − x_j) with x_j a random walker of the other half and z drawn
///   from g(z) ∝ 1/√z on [1/a, a]; it moves with probability min(1, z^(D−1)·p(y)/p(x_k));
/// - differential evolution (ter Braak 2006; emcee's `DEMove`): y = x_k + γ·(x_a − x_b) + e with
///   x_a ≠ x_b two walkers of the other half, γ = 2.38/√(2D) (γ = 1 for one step in ten, which
///   jumps between modes) and e ~ N(0, (10⁻⁶)²) per coordinate; symmetric, so min(1, p(y)/p(x_k));
/// - independence (Metropolis–Hastings with a fixed proposal density q, `IndependenceProposal`):
///   y ~ q for every walker, accepted with min(1, p(y)·q(x_k) / (p(x_k)·q(y))).
///
/// All proposals of a half (or, for independence, of the whole ensemble) are evaluated in one
/// batch, so the log-probability can run a batched forward model.
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

    /// A way of proposing the walkers' next positions.
    public enum Move: Sendable {
        case stretch
        case differentialEvolution
        case independence(IndependenceProposal)
    }

    /// One step of every walker with the stretch move (both halves in turn).
    public func step(_ s: inout State, logProb: LogProbability, generator g: inout Xoshiro256StarStar) {
        step(&s, move: .stretch, logProb: logProb, generator: &g)
    }

    /// One step of every walker with `move`.
    public func step(_ s: inout State, move: Move, logProb: LogProbability, generator g: inout Xoshiro256StarStar) {
        let d = dimensions, half = walkers / 2
        if case let .independence(q) = move {
            var proposals = [Double](), logCorrection = [Double]()
            proposals.reserveCapacity(walkers * d)
            for k in 0..<walkers {
                let y = q.draw(&g)
                proposals += y
                logCorrection.append(q.logDensity(s.positions[(k * d)..<((k + 1) * d)]) - q.logDensity(y))
            }
            accept(&s, proposals: proposals, walkers: 0..<walkers, logCorrection: logCorrection, logProb: logProb, generator: &g)
            s.steps += 1
            return
        }
        let gamma = 2.38 / (2 * Double(d)).squareRoot()
        for first in [0, half] {
            let other = first == 0 ? half : 0
            var proposals = [Double](repeating: 0, count: half * d), logCorrection = [Double](repeating: 0, count: half)
            for i in 0..<half {
                let k = first + i
                switch move {
                case .stretch:
                    let j = other + Int(g.next() % UInt64(half))
                    let z = pow((stretch - 1) * g.nextUniform() + 1, 2) / stretch
                    logCorrection[i] = Double(d - 1) * log(z)
                    for m in 0..<d {
                        let xj = s.positions[j * d + m]
                        proposals[i * d + m] = xj + z * (s.positions[k * d + m] - xj)
                    }
                case .differentialEvolution:
                    let a = other + Int(g.next() % UInt64(half))
                    var b = other + Int(g.next() % UInt64(half - 1))
                    if b >= a { b += 1 }
                    let scale = g.nextUniform() < 0.1 ? 1 : gamma
                    for m in 0..<d {
                        proposals[i * d + m] = s.positions[k * d + m] + scale * (s.positions[a * d + m] - s.positions[b * d + m])
                            + 1e-6 * g.nextNormal()
                    }
                case .independence:
                    preconditionFailure("handled above")
                }
            }
            accept(&s, proposals: proposals, walkers: first..<(first + half), logCorrection: logCorrection, logProb: logProb, generator: &g)
        }
        s.steps += 1
    }

    /// Metropolis–Hastings acceptance of one proposal per walker in `range`, in one batch.
    private func accept(_ s: inout State, proposals: [Double], walkers range: Range<Int>, logCorrection: [Double],
                        logProb: LogProbability, generator g: inout Xoshiro256StarStar) {
        let d = dimensions
        let lp = logProb(proposals, range.count)
        for (i, k) in range.enumerated() {
            let logAccept = logCorrection[i] + lp[i] - s.logProb[k]
            if lp[i].isFinite && log(g.nextUniform()) < logAccept {
                for m in 0..<d { s.positions[k * d + m] = proposals[i * d + m] }
                s.logProb[k] = lp[i]
                s.accepted[k] += 1
            }
        }
    }
}

/// A fixed proposal density for independence moves on the box [low, high]^D: with probability
/// 1 − u a draw of a Gaussian mixture, with probability u a uniform draw in the box (a defensive
/// component: p/q stays bounded, so the chain is uniformly ergodic whatever the mixture misses).
/// The mixture lives in one of two coordinate systems (`Coordinates`):
///
/// - `.unbounded`: in the box's logit coordinates y (`BoxCoordinates`), so every draw is inside:
///   q(θ) = (1 − u)·Σ_k w_k N(y(θ); μ_k, Σ_k)·|dy/dθ| + u / V;
/// - `.parameters`: in θ itself, q(θ) = (1 − u)·Σ_k w_k N(θ; μ_k, Σ_k) + u / V·1_box — a posterior
///   piled against a face of the box is a Gaussian cut by the face here, but a long tail in y.
///   Draws outside the box have zero posterior and are rejected, so q need not be truncated.
public struct IndependenceProposal: Sendable {
    public enum Coordinates: Sendable { case unbounded, parameters }

    public let mixture: GaussianMixture
    public let box: BoxCoordinates
    public let coordinates: Coordinates
    public let uniformWeight: Double

    public init(mixture: GaussianMixture, box: BoxCoordinates, coordinates: Coordinates = .unbounded, uniformWeight: Double = 0.05) {
        precondition(mixture.dimensions == box.dimensions && uniformWeight > 0 && uniformWeight < 1)
        (self.mixture, self.box, self.coordinates, self.uniformWeight) = (mixture, box, coordinates, uniformWeight)
    }

    public func draw(_ g: inout Xoshiro256StarStar) -> [Double] {
        if g.nextUniform() < uniformWeight {
            return zip(box.low, box.high).map { $0 + ($1 - $0) * g.nextUniform() }
        }
        switch coordinates {
        case .unbounded: return box.bounded(mixture.draw(&g))
        case .parameters: return mixture.draw(&g)
        }
    }

    /// log q(θ). In unbounded coordinates the mixture's part is zero on the box's faces, where y
    /// is infinite; in parameter coordinates the uniform part is zero outside the box.
    public func logDensity<C: Collection>(_ theta: C) -> Double where C.Element == Double {
        let inside = zip(theta, zip(box.low, box.high)).allSatisfy { $0 >= $1.0 && $0 <= $1.1 }
        let uniform = inside ? log(uniformWeight) - box.logVolume : -Double.infinity
        let gaussian: Double
        switch coordinates {
        case .unbounded:
            guard box.isInterior(theta) else { return uniform }
            gaussian = log(1 - uniformWeight) + mixture.logDensity(box.unbounded(theta)) + box.logJacobian(theta)
        case .parameters:
            gaussian = log(1 - uniformWeight) + mixture.logDensity(theta)
        }
        return GaussianMixture.logSumExp([gaussian, uniform])
    }
}
