import DigsCore

/// DIGS's default MCMC schedule: one that converges to the exact posterior, judged by
/// `ChainConvergence` rather than assumed.
///
/// - Burn-in runs in rounds. The first mixes stretch and differential-evolution moves (half
///   each). At the end of every round two Gaussian mixtures of `components` components are
///   fitted (EM) to the ensemble's positions over the round's second half — one in the prior
///   box's unbounded coordinates, one in θ itself (`IndependenceProposal.Coordinates`) — and the
///   following rounds and production mix independence moves from them (a quarter of the steps
///   each, widths × `widening`, 5 % uniform in the box) with differential-evolution (0.3) and
///   stretch (0.2) moves. The local moves keep the chain exact and mixing where a mixture is
///   poor; the independence moves carry walkers across curved, bounded and multi-modal
///   posteriors that the stretch move crosses slowly.
/// - No restarts: nothing pulls the walkers towards one mode.
/// - Production runs `production` steps with the mixtures fixed, so every step is an exact
///   Metropolis–Hastings step of the posterior; every `thin`-th is stored, and τ and split-R̂ are
///   measured on all of them. When the chain fails `ChainConvergence`, the mixtures are refitted
///   to its samples (which have now visited the modes and tails the burn-in missed), it is
///   discarded as further burn-in, and production runs again — at most `attempts` times; the
///   last attempt is kept either way and its convergence recorded.
public struct ReferenceSchedule: Sendable, Equatable {
    public var walkers: Int
    /// Steps of each burn-in round; the proposals are refitted after each.
    public var burnIn: [Int]
    /// Production steps (before thinning) of one attempt.
    public var production: Int
    /// Every `thin`-th production step is stored.
    public var thin: Int
    /// Production attempts at most (the proposals are refitted between them).
    public var attempts: Int
    /// Gaussian components of each independence proposal.
    public var components: Int
    /// Factor on the fitted components' standard deviations.
    public var widening: Double

    public init(walkers: Int, burnIn: [Int], production: Int, thin: Int, attempts: Int = 3, components: Int = 12, widening: Double = 1.1) {
        (self.walkers, self.burnIn, self.production, self.thin, self.attempts) = (walkers, burnIn, production, thin, attempts)
        (self.components, self.widening) = (components, widening)
    }

    /// Log-probability evaluations of one run with a single production attempt.
    public var logProbabilityCalls: Int { walkers * (burnIn.reduce(0, +) + production + 1) }

    /// Stored production steps.
    public var storedSteps: Int { production / thin }

    /// Runs the schedule from `initial` walker positions [W × D] inside the box [low, high].
    public func run(initial: [Double], low: [Double], high: [Double], logProb: EnsembleSampler.LogProbability,
                    generator g: inout Xoshiro256StarStar) throws -> ChainResult {
        guard walkers >= 4, thin >= 1, production >= 2 * thin, attempts >= 1, components >= 1, widening >= 1 else {
            throw DigsError.invalidInput(field: "mcmc", problem: "the reference schedule needs at least 4 walkers, production ≥ 2·thin, thin ≥ 1, attempts ≥ 1, components ≥ 1 and widening ≥ 1")
        }
        let d = low.count
        let box = BoxCoordinates(low: low, high: high)
        var run = try ChainRun(sampler: try EnsembleSampler(dimensions: d, walkers: walkers), initial: initial, logProb: logProb)
        var proposals = [IndependenceProposal]()
        for steps in burnIn {
            var kept = [Double]()
            let keepFrom = steps / 2, stride = max(1, (steps - keepFrom) * walkers / 3000)
            for t in 0..<steps {
                run.burnInStep(Self.move(proposals, &g), logProb: logProb, generator: &g)
                if t >= keepFrom && (t - keepFrom) % stride == 0 { kept += run.state.positions }
            }
            proposals = fit(kept, box: box, generator: &g) ?? proposals
        }
        var attempt = 1
        while true {
            let fixed = proposals
            var result = run.produce(steps: production, thin: thin, logProb: logProb, generator: &g) { Self.move(fixed, &$0) }
            result.productionAttempts = attempt
            if attempt == attempts || result.convergence(steps: production).isConverged { return result }
            let stride = max(1, result.chain.count / d / 3000)
            let points = Swift.stride(from: 0, to: result.chain.count / d, by: stride).flatMap { r in
                result.chain[(r * d)..<((r + 1) * d)].map(Double.init)
            }
            proposals = fit(points, box: box, generator: &g) ?? proposals
            attempt += 1
        }
    }

    /// The two independence proposals fitted to walker positions [n × D] (nil: too few inside the box).
    func fit(_ positions: [Double], box: BoxCoordinates, generator g: inout Xoshiro256StarStar) -> [IndependenceProposal]? {
        let d = box.dimensions
        let interior = (0..<(positions.count / d)).map { positions[($0 * d)..<(($0 + 1) * d)] }.filter { box.isInterior($0) }
        guard interior.count >= 2 * (d + 2) else { return nil }
        let unbounded = GaussianMixture.fit(points: interior.flatMap { box.unbounded($0) }, dimensions: d, components: components, generator: &g)
        let parameters = GaussianMixture.fit(points: interior.flatMap { $0 }, dimensions: d, components: components, generator: &g)
        return [IndependenceProposal(mixture: unbounded.widened(by: widening), box: box, coordinates: .unbounded),
                IndependenceProposal(mixture: parameters.widened(by: widening), box: box, coordinates: .parameters)]
    }

    /// The move of one step: stretch or differential evolution (half each) until proposals are
    /// fitted; then each independence proposal 0.5/n, differential evolution 0.3, stretch 0.2.
    static func move(_ proposals: [IndependenceProposal], _ g: inout Xoshiro256StarStar) -> EnsembleSampler.Move {
        let u = g.nextUniform()
        guard !proposals.isEmpty else { return u < 0.5 ? .stretch : .differentialEvolution }
        if u < 0.5 { return .independence(proposals[min(proposals.count - 1, Int(u / 0.5 * Double(proposals.count)))]) }
        return u < 0.8 ? .differentialEvolution : .stretch
    }
}
