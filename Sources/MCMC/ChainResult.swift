import Diagnostics
import DigsCore

/// What one galaxy's MCMC run leaves, whatever its schedule.
public struct ChainResult: Sendable {
    /// Walker positions of the stored production steps (every `thin`-th), [T × W × D].
    public var chain: [Float]
    /// Their log-probabilities, [T × W].
    public var logProb: [Float]
    /// Mean acceptance fraction over walkers in the production steps.
    public var acceptanceFraction: Double
    /// Integrated autocorrelation time per parameter, in steps of the whole (unthinned) production chain (emcee's estimator).
    public var autocorrelationTime: [Double]
    /// split-R̂ per parameter over the walkers' whole production chains.
    public var splitRHat: [Double]
    /// The highest-probability position visited.
    public var best: [Double]
    /// Median log-probability over walkers after each burn-in step.
    public var burnInTrace: [Float]
    /// Production runs it took (`ReferenceSchedule` discards unconverged ones; the kept chain is the last).
    public var productionAttempts: Int
    /// log p of `best`.
    public var bestLogProb: Double
    /// The highest log p of any production step (all steps, not only the stored ones).
    public var productionBestLogProb: Double

    public init(chain: [Float], logProb: [Float], acceptanceFraction: Double, autocorrelationTime: [Double],
                splitRHat: [Double], best: [Double], burnInTrace: [Float], productionAttempts: Int = 1,
                bestLogProb: Double, productionBestLogProb: Double) {
        (self.chain, self.logProb, self.acceptanceFraction) = (chain, logProb, acceptanceFraction)
        (self.autocorrelationTime, self.splitRHat, self.best, self.burnInTrace) = (autocorrelationTime, splitRHat, best, burnInTrace)
        (self.productionAttempts, self.bestLogProb, self.productionBestLogProb) = (productionAttempts, bestLogProb, productionBestLogProb)
    }

    /// How far, in log p, the best position known (the start, burn-in, a screening of other
    /// candidates: `include`) lies above every production step: ≈ 0 when production reaches the
    /// posterior's peak, large when it misses the mode that holds it.
    public var missedLogProbability: Double { max(0, bestLogProb - productionBestLogProb) }

    /// Makes `position` the best one when its log p is higher (a candidate evaluated outside the
    /// run, e.g. a screened prior draw or NPE sample that did not become a walker).
    public mutating func include(position: [Double], logProb: Double) {
        if logProb > bestLogProb { (best, bestLogProb) = (position, logProb) }
    }

    /// Whether the production chain (`steps` long, before thinning) is a converged reference (`ChainConvergence`).
    public func convergence(steps: Int) -> ChainConvergence {
        ChainConvergence(autocorrelationTime: autocorrelationTime, splitRHat: splitRHat, steps: steps,
                         missedLogProbability: missedLogProbability)
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

/// Runs burn-in and production of one ensemble and keeps the best position seen: the part every
/// schedule shares.
struct ChainRun {
    let sampler: EnsembleSampler
    var state: EnsembleSampler.State
    var trace = [Float]()
    var best = [Double](), bestLogProb = -Double.infinity

    init(sampler: EnsembleSampler, initial: [Double], logProb: EnsembleSampler.LogProbability) throws {
        self.sampler = sampler
        state = try sampler.start(initial, logProb: logProb)
        track()
    }

    /// Keeps the highest-probability position seen so far.
    mutating func track() {
        let d = sampler.dimensions
        let i = state.logProb.indices.max { state.logProb[$0] < state.logProb[$1] }!
        if state.logProb[i] > bestLogProb {
            bestLogProb = state.logProb[i]
            best = Array(state.positions[(i * d)..<((i + 1) * d)])
        }
    }

    /// One burn-in step with `move`; its median log-probability joins the trace.
    mutating func burnInStep(_ move: EnsembleSampler.Move, logProb: EnsembleSampler.LogProbability, generator g: inout Xoshiro256StarStar) {
        sampler.step(&state, move: move, logProb: logProb, generator: &g)
        trace.append(Float(SampleSummary.percentile(sorted: state.logProb.sorted(), 50)))
        track()
    }

    /// `steps` production steps, each with the move `choose` picks; every `thin`-th state is
    /// stored, τ and split-R̂ come from all of them.
    mutating func produce(steps: Int, thin: Int, logProb: EnsembleSampler.LogProbability, generator g: inout Xoshiro256StarStar,
                          choose: (inout Xoshiro256StarStar) -> EnsembleSampler.Move) -> ChainResult {
        let d = sampler.dimensions, w = sampler.walkers
        let acceptedBefore = state.accepted.reduce(0, +)
        var stored = [Float](), lp = [Float]()
        stored.reserveCapacity(steps / thin * w * d)
        var walkerChains = [[[Double]]](repeating: [[Double]](repeating: [], count: w), count: d)
        var productionBest = -Double.infinity
        for t in 0..<steps {
            sampler.step(&state, move: choose(&g), logProb: logProb, generator: &g)
            productionBest = max(productionBest, state.logProb.max()!)
            for k in 0..<w { for j in 0..<d { walkerChains[j][k].append(state.positions[k * d + j]) } }
            if (t + 1) % thin == 0 {
                stored += state.positions.map(Float.init)
                lp += state.logProb.map(Float.init)
            }
            track()
        }
        let accepted = Double(state.accepted.reduce(0, +) - acceptedBefore) / Double(steps * w)
        return ChainResult(chain: stored, logProb: lp, acceptanceFraction: accepted,
                           autocorrelationTime: walkerChains.map { Autocorrelation.integratedTime($0) },
                           splitRHat: walkerChains.map(ChainConvergence.splitRHat), best: best, burnInTrace: trace,
                           bestLogProb: bestLogProb, productionBestLogProb: productionBest)
    }
}
