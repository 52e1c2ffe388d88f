import DigsCore

/// Settings of `digs mcmc` (`mcmc:` of a pipeline file). The default schedule is `reference`, which converges;
/// `schedule: paper` is the paper's restart schedule. Unset walkers, burn-in and production take
/// the chosen schedule's defaults.
public struct MCMCSettings: Settings {
    /// How many observations to fit (the first N), when no list is given.
    public var galaxies = 10
    public var schedule = MCMCScheduleKind.reference
    public var walkers: Int? = nil
    /// Steps of each burn-in round. Paper: after every round but the last the walkers restart in
    /// a small ball around the best position found so far. Reference: after every round the
    /// independence proposal is refitted.
    public var burnIn: [Int]? = nil
    /// Production steps (reference: before thinning).
    public var production: Int? = nil
    /// Reference schedule: every `thin`-th production step is stored.
    public var thin: Int? = nil
    /// Reference schedule: production runs at most, the proposals refitted between them, while
    /// the chain has not converged.
    public var attempts = 3
    /// Where the walkers start.
    public var initialization = MCMCInitialization.screened
    /// Paper schedule: width of the restart ball per parameter, as a fraction of the prior range.
    public var ballFraction = 1e-3

    public init() {}

    enum CodingKeys: String, CodingKey {
        case galaxies, schedule, walkers, burnIn = "burn_in", production, thin, attempts, initialization = "init", ballFraction = "ball_fraction"
    }

    public func validate() throws {
        func bad(_ f: String, _ p: String) -> DigsError { .invalidInput(field: "mcmc.\(f)", problem: p) }
        guard galaxies >= 1 else { throw bad("galaxies", "must be at least 1") }
        guard resolvedBurnIn.allSatisfy({ $0 >= 0 }) else { throw bad("burn_in", "needs steps ≥ 0 in every round; is \(resolvedBurnIn)") }
        guard resolvedThin >= 1 else { throw bad("thin", "must be at least 1; is \(resolvedThin)") }
        guard resolvedProduction >= 2 * resolvedThin else {
            throw bad("production", "needs at least 2 stored steps (production ≥ 2·thin); is \(resolvedProduction) with thin \(resolvedThin)")
        }
        guard ballFraction > 0, ballFraction < 1 else { throw bad("ball_fraction", "must be in (0, 1)") }
        guard attempts >= 1 else { throw bad("attempts", "must be at least 1; is \(attempts)") }
        if schedule == .paper, thin != nil { throw bad("thin", "applies to the reference schedule only (schedule: paper stores every step)") }
        if schedule == .reference, resolvedWalkers < 4 { throw bad("walkers", "the reference schedule needs at least 4; is \(resolvedWalkers)") }
    }

    public var resolvedWalkers: Int { walkers ?? (schedule == .paper ? 128 : 16) }
    public var resolvedBurnIn: [Int] { burnIn ?? (schedule == .paper ? [4096, 4096, 2048, 512] : [1000, 1000, 1000]) }
    public var resolvedProduction: Int { production ?? (schedule == .paper ? 128 : 20000) }
    public var resolvedThin: Int { schedule == .paper ? 1 : thin ?? 40 }

    /// The schedule these settings describe.
    public var sampler: MCMCSchedule {
        switch schedule {
        case .paper:
            return .paper(RestartSchedule(walkers: resolvedWalkers, burnIn: resolvedBurnIn, production: resolvedProduction, ballFraction: ballFraction))
        case .reference:
            return .reference(ReferenceSchedule(walkers: resolvedWalkers, burnIn: resolvedBurnIn, production: resolvedProduction,
                                                thin: resolvedThin, attempts: attempts))
        }
    }

    /// Likelihood evaluations per galaxy (the reference schedule: with one production attempt).
    /// Likelihood evaluations per galaxy: the schedule's, and a screened start's prior draws
    /// (its NPE samples, ~10³, not counted).
    public var likelihoodCalls: Int {
        sampler.logProbabilityCalls + (initialization == .screened ? MCMCInitialization.screeningDraws : 0)
    }

    /// Stored production steps per galaxy.
    public var storedSteps: Int { resolvedProduction / resolvedThin }

    /// One line for the log and `--help`-style summaries.
    public var description: String {
        switch schedule {
        case .paper: return "paper schedule: \(resolvedWalkers) walkers, burn-in \(resolvedBurnIn) with restarts, \(resolvedProduction) production steps"
        case .reference: return "reference schedule: \(resolvedWalkers) walkers, burn-in rounds \(resolvedBurnIn), \(resolvedProduction) production steps stored every \(resolvedThin), up to \(attempts) attempts"
        }
    }
}

/// Which MCMC schedule `digs mcmc` runs (`mcmc.schedule`).
public enum MCMCScheduleKind: String, SettingChoice, Sendable {
    /// Converges: stretch, differential-evolution and fitted independence moves, no restarts (`ReferenceSchedule`).
    case reference
    /// The paper's: burn-in rounds restarted around the best walker, 128 production steps (`RestartSchedule`).
    case paper
}

/// A schedule ready to run.
public enum MCMCSchedule: Sendable {
    case paper(RestartSchedule)
    case reference(ReferenceSchedule)

    /// Log-probability evaluations of one run (the reference schedule: with one production attempt).
    public var logProbabilityCalls: Int {
        switch self {
        case let .paper(s): return s.logProbabilityCalls
        case let .reference(s): return s.logProbabilityCalls
        }
    }

    public func run(initial: [Double], low: [Double], high: [Double], logProb: EnsembleSampler.LogProbability,
             generator g: inout Xoshiro256StarStar) throws -> ChainResult {
        switch self {
        case let .paper(s): return try s.run(initial: initial, low: low, high: high, logProb: logProb, generator: &g)
        case let .reference(s): return try s.run(initial: initial, low: low, high: high, logProb: logProb, generator: &g)
        }
    }
}

/// Where the MCMC walkers start (`mcmc.init`).
public enum MCMCInitialization: String, SettingChoice, Sendable {
    /// Draws of the prior.
    case prior
    /// Samples of the flow's posterior (needs the posterior_samples product).
    case npe
    /// Half at the most probable of `MCMCInitialization.screeningDraws` prior draws and the flow's
    /// posterior samples where a posterior_samples product is at hand (`ScreenedStart`), half at
    /// prior draws.
    case screened

    /// Prior draws weighed, besides the NPE's samples, for a screened start.
    public static let screeningDraws = 4096

    /// Whether the walkers' start reads the posterior_samples product (npe: it must; screened:
    /// where there is one, so `digs run` makes it first).
    public var readsPosterior: Bool { self != .prior }
}
