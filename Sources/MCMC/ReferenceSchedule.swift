import DigsCore

/// DIGS's default MCMC schedule: one that converges to the exact posterior, judged by
/// `ChainConvergence` rather than assumed.
///
/// - Burn-in runs in rounds. The first mixes stretch and differential-evolution moves (half
///   each). At the end of every round a Gaussian mixture of `components` components is fitted
///   (EM, in the prior box's unbounded coordinates) to the ensemble's positions over the round's
///   second half, and the following rounds and production mix an independence move from it
///   (half the steps, its widths × `widening`, 5 % uniform in the box) with differential
///   evolution (0.3) and stretch (0.2) moves. The mixture is fixed during production, so every
///   production step is an exact Metropolis–Hastings step of the posterior; the local moves keep
///   the chain exact and mixing where the mixture is poor, the independence move carries walkers
///   across the curved, bounded and multi-modal posteriors the stretch move crosses slowly.
/// - No restarts: nothing pulls the walkers towards one mode.
/// - Production runs `production` steps and keeps every `thin`-th; τ and split-R̂ are measured on
///   all of them.
public struct ReferenceSchedule: Sendable, Equatable {
    public var walkers: Int
    /// Steps of each burn-in round; the proposal is refitted after each.
    public var burnIn: [Int]
    /// Production steps (before thinning).
    public var production: Int
    /// Every `thin`-th production step is stored.
    public var thin: Int
    /// Gaussian components of the independence proposal.
    public var components: Int
    /// Factor on the fitted components' standard deviations.
    public var widening: Double

    public init(walkers: Int, burnIn: [Int], production: Int, thin: Int, components: Int = 4, widening: Double = 1.2) {
        (self.walkers, self.burnIn, self.production, self.thin) = (walkers, burnIn, production, thin)
        (self.components, self.widening) = (components, widening)
    }

    /// Log-probability evaluations of one run.
    public var logProbabilityCalls: Int { walkers * (burnIn.reduce(0, +) + production + 1) }

    /// Stored production steps.
    public var storedSteps: Int { production / thin }

    /// Runs the schedule from `initial` walker positions [W × D] inside the box [low, high].
    public func run(initial: [Double], low: [Double], high: [Double], logProb: EnsembleSampler.LogProbability,
                    generator g: inout Xoshiro256StarStar) throws -> ChainResult {
        guard walkers >= 4, thin >= 1, production >= 2 * thin, components >= 1, widening >= 1 else {
            throw DigsError.invalidInput(field: "mcmc", problem: "the reference schedule needs at least 4 walkers, production ≥ 2·thin, thin ≥ 1, components ≥ 1 and widening ≥ 1")
        }
        let d = low.count
        let box = BoxCoordinates(low: low, high: high)
        var run = try ChainRun(sampler: try EnsembleSampler(dimensions: d, walkers: walkers), initial: initial, logProb: logProb)
        var proposal: IndependenceProposal?
        for steps in burnIn {
            var kept = [Double]()
            let keepFrom = steps / 2, stride = max(1, (steps - keepFrom) * walkers / 4000)
            for t in 0..<steps {
                run.burnInStep(Self.move(proposal, &g), logProb: logProb, generator: &g)
                if t >= keepFrom && (t - keepFrom) % stride == 0 {
                    for k in 0..<walkers where box.isInterior(run.state.positions[(k * d)..<((k + 1) * d)]) {
                        kept += box.unbounded(run.state.positions[(k * d)..<((k + 1) * d)])
                    }
                }
            }
            if kept.count >= 2 * d {
                let mixture = GaussianMixture.fit(points: kept, dimensions: d, components: components, generator: &g)
                proposal = IndependenceProposal(mixture: mixture.widened(by: widening), box: box)
            }
        }
        let fixed = proposal
        return run.produce(steps: production, thin: thin, logProb: logProb, generator: &g) { Self.move(fixed, &$0) }
    }

    /// The move of one step: stretch or differential evolution (half each) until a proposal is
    /// fitted; then independence 0.5, differential evolution 0.3, stretch 0.2.
    static func move(_ proposal: IndependenceProposal?, _ g: inout Xoshiro256StarStar) -> EnsembleSampler.Move {
        let u = g.nextUniform()
        guard let proposal else { return u < 0.5 ? .stretch : .differentialEvolution }
        return u < 0.5 ? .independence(proposal) : u < 0.8 ? .differentialEvolution : .stretch
    }
}
