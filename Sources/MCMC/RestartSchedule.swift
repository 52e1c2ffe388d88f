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

    /// Runs the schedule from `initial` walker positions [W × D], with the support [low, high]
    /// per parameter for the restart ball.
    public func run(initial: [Double], low: [Double], high: [Double], logProb: EnsembleSampler.LogProbability,
                    generator g: inout Xoshiro256StarStar) throws -> ChainResult {
        let d = low.count, w = walkers
        let sampler = try EnsembleSampler(dimensions: d, walkers: w)
        var run = try ChainRun(sampler: sampler, initial: initial, logProb: logProb)
        for (round, steps) in burnIn.enumerated() {
            for _ in 0..<steps { run.burnInStep(.stretch, logProb: logProb, generator: &g) }
            if round < burnIn.count - 1 {
                // Restart in a small ball around the best position (redrawn until inside the support).
                let restart = (0..<w).flatMap { _ in
                    (0..<d).map { j -> Double in
                        var v: Double
                        repeat { v = run.best[j] + ballFraction * (high[j] - low[j]) * g.nextNormal() } while v < low[j] || v > high[j]
                        return v
                    }
                }
                run.state = try sampler.start(restart, logProb: logProb)
            }
        }
        return run.produce(steps: production, thin: 1, logProb: logProb, generator: &g) { _ in .stretch }
    }
}
