import Diagnostics
import DigsCore

/// The paper's MCMC schedule for one posterior: an emcee ensemble runs burn-in rounds, each but
/// the last followed by a restart of every walker in a small Gaussian ball around the best
/// position found so far, then `production` recorded steps. Bounds keep the restart ball inside
/// the prior's support.
public struct RestartSchedule: Sendable, Equatable {
    public var walkers: Int
    /// Steps of each burn-in round.
    public var burnIn: [Int]
    /// Steps kept as the chain.
    public var production: Int
    /// Width of the restart ball per parameter, as a fraction of the support's width.
    public var ballFraction: Double

    public init(walkers: Int, burnIn: [Int], production: Int, ballFraction: Double) {
        (self.walkers, self.burnIn, self.production, self.ballFraction) = (walkers, burnIn, production, ballFraction)
    }

    /// Log-probability evaluations of one run.
    public var logProbabilityCalls: Int { walkers * (burnIn.reduce(0, +) + production + 1) }

    /// What one run leaves.
    public struct Result: Sendable {
        /// Walker positions of the production steps, [T × W × D].
        public var chain: [Float]
        /// Their log-probabilities, [T × W].
        public var logProb: [Float]
        /// Mean acceptance fraction over walkers in the production steps.
        public var acceptanceFraction: Double
        /// Integrated autocorrelation time per parameter, steps (emcee's estimator).
        public var autocorrelationTime: [Double]
        /// split-R̂ per parameter over the walkers' production chains.
        public var splitRHat: [Double]
        /// The highest-probability position visited.
        public var best: [Double]
        /// Median log-probability over walkers after each burn-in step.
        public var burnInTrace: [Float]

        public init(chain: [Float], logProb: [Float], acceptanceFraction: Double, autocorrelationTime: [Double],
                    splitRHat: [Double], best: [Double], burnInTrace: [Float]) {
            (self.chain, self.logProb, self.acceptanceFraction) = (chain, logProb, acceptanceFraction)
            (self.autocorrelationTime, self.splitRHat, self.best, self.burnInTrace) = (autocorrelationTime, splitRHat, best, burnInTrace)
        }

        /// Whether the production chain (`steps` long) is a converged reference (`ChainConvergence`).
        public func convergence(steps: Int) -> ChainConvergence {
            ChainConvergence(autocorrelationTime: autocorrelationTime, splitRHat: splitRHat, steps: steps)
        }

        /// Burn-in steps until the median walker first reaches the typical set: a log-probability
        /// within D/2 of the production median (D parameters; −2 log p of a Gaussian posterior
        /// scatters by ~√(2D) around its mean). nil when never reached.
        public var stepsToTypicalSet: Int? {
            let production = logProb.map(Double.init).sorted()
            let target = SampleSummary.percentile(sorted: production, 50) - Double(autocorrelationTime.count) / 2
            return burnInTrace.firstIndex { Double($0) >= target }.map { $0 + 1 }
        }
    }

    /// Runs the schedule from `initial` walker positions [W × D], with the support [low, high]
    /// per parameter for the restart ball.
    public func run(initial: [Double], low: [Double], high: [Double], logProb: EnsembleSampler.LogProbability,
                    generator g: inout Xoshiro256StarStar) throws -> Result {
        let d = low.count, w = walkers
        let sampler = try EnsembleSampler(dimensions: d, walkers: w)
        var state = try sampler.start(initial, logProb: logProb)
        var trace = [Float]()
        trace.reserveCapacity(burnIn.reduce(0, +))
        var best = [Double](), bestLogProb = -Double.infinity
        /// Keeps the highest-probability position seen so far.
        func track(_ state: EnsembleSampler.State) {
            let i = state.logProb.indices.max { state.logProb[$0] < state.logProb[$1] }!
            if state.logProb[i] > bestLogProb {
                bestLogProb = state.logProb[i]
                best = Array(state.positions[(i * d)..<((i + 1) * d)])
            }
        }
        track(state)
        for (round, steps) in burnIn.enumerated() {
            for _ in 0..<steps {
                sampler.step(&state, logProb: logProb, generator: &g)
                trace.append(Float(SampleSummary.percentile(sorted: state.logProb.sorted(), 50)))
                track(state)
            }
            if round < burnIn.count - 1 {
                // Restart in a small ball around the best position (redrawn until inside the support).
                let restart = (0..<w).flatMap { _ in
                    (0..<d).map { j -> Double in
                        var v: Double
                        repeat { v = best[j] + ballFraction * (high[j] - low[j]) * g.nextNormal() } while v < low[j] || v > high[j]
                        return v
                    }
                }
                state = try sampler.start(restart, logProb: logProb)
            }
        }
        let acceptedBefore = state.accepted.reduce(0, +)
        var chain = [Float](), lp = [Float]()
        chain.reserveCapacity(production * w * d)
        for _ in 0..<production {
            sampler.step(&state, logProb: logProb, generator: &g)
            chain += state.positions.map(Float.init)
            lp += state.logProb.map(Float.init)
            track(state)
        }
        let accepted = Double(state.accepted.reduce(0, +) - acceptedBefore) / Double(production * w)
        let t = production
        let walkerChains = (0..<d).map { j in (0..<w).map { k in (0..<t).map { Double(chain[(($0 * w) + k) * d + j]) } } }
        return Result(chain: chain, logProb: lp, acceptanceFraction: accepted,
                      autocorrelationTime: walkerChains.map { Autocorrelation.integratedTime($0) },
                      splitRHat: walkerChains.map(ChainConvergence.splitRHat), best: best, burnInTrace: trace)
    }
}
