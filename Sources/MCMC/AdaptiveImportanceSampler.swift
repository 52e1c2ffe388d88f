import Diagnostics
import DigsCore
import Foundation

/// Population Monte Carlo (Cappé, Guillin, Marin & Robert 2004) from a first set of weighted
/// draws, for a target in a box: where a proposal (a posterior estimator's draws) misses mass of
/// the target, its weighted draws still say roughly where the target is. Each round resamples
/// them by weight (systematic resampling; or takes the best few per cent of them when the
/// weights sit on a handful of draws), fits a Gaussian mixture to those points in the box's
/// unbounded coordinates (`GaussianMixture.fit`, `BoxCoordinates`), widens it by `widening`,
/// draws `draws` new points from it and weighs them by target / mixture. It stops at the first
/// round whose weights pass the Pareto-k̂ check (`ImportanceWeights.isReliable`) with ESS/N of
/// at least `minimumESSFraction`, and whose proposal was fitted to weighted draws (not to an elite): those weighted draws then represent
/// the target — whatever the proposal, each round's weights are exact
/// importance weights of its own draws, so how a proposal is chosen affects only how fast this
/// gets there. nil when `rounds` rounds do not get there.
public struct AdaptiveImportanceSampler: Sendable {
    public let box: BoxCoordinates
    /// Rounds at most.
    public var rounds = 4
    /// New draws per round.
    public var draws = 10_000
    /// Points resampled from the weighted draws to fit each round's mixture.
    public var fitPoints = 2000
    /// Gaussian components of each round's mixture.
    public var components = 5
    /// Every component's standard deviations are multiplied by this (a proposal a little wider
    /// than the target keeps the weights' tail light).
    public var widening = 1.5
    /// Where the weights sit on fewer than max(4D, 20) draws, the mixture is fitted to this
    /// fraction of the draws with the largest weights instead.
    public var topFraction = 0.02
    /// A passing round's ESS/N must reach this too: a proposal converged onto the target has
    /// weights near one another, and one with a few per mille of effective draws may have
    /// settled on a part of the target (another mode) that k̂ alone does not reveal.
    public var minimumESSFraction = 0.05
    /// Each round's mixture gets one more component of this weight: a Gaussian with the fitted
    /// points' mean and `defensiveScale`² times their covariance (Hesterberg 1995's defensive
    /// mixture), so draws keep reaching a little beyond where the last round's were.
    public var defensiveWeight = 0.2
    public var defensiveScale = 3.0

    public init(box: BoxCoordinates) { self.box = box }

    /// The weighted draws of the first round that passes the k̂ check, and that round's number.
    public struct Result: Sendable {
        /// θ rows [draws × D].
        public let theta: [Double]
        /// log target(θ) − log proposal(θ) of each row (+ a constant).
        public let logWeights: [Double]
        public let weights: ImportanceWeights
        public let rounds: Int
    }

    /// A proposal mixed into every round with a fixed share of the draws (the posterior
    /// estimator the first draws came from): where it covers the target, so does every round.
    public struct Defensive {
        /// Its share of each round's draws.
        public let weight: Double
        /// `count` θ rows drawn from it.
        public let draw: (Int, inout Xoshiro256StarStar) -> [Double]
        /// Its log density at `count` θ rows.
        public let logDensity: ([Double], Int) -> [Double]

        public init(weight: Double, draw: @escaping (Int, inout Xoshiro256StarStar) -> [Double],
                    logDensity: @escaping ([Double], Int) -> [Double]) {
            (self.weight, self.draw, self.logDensity) = (weight, draw, logDensity)
        }
    }

    /// `theta` [S × D] and `logWeights` [S]: the first draws and their log weights against the
    /// target; `logTarget(rows, count)`: the log target density of `count` θ rows (−∞ where it
    /// is zero, e.g. outside a truncated prior); `defensive`: a proposal each round's draws are
    /// partly taken from (their weights then use the mixture's density, Owen & Zhou 2000).
    public func refine(theta: [Double], logWeights: [Double], logTarget: ([Double], Int) -> [Double],
                       defensive: Defensive? = nil, generator g: inout Xoshiro256StarStar) -> Result? {
        let d = box.dimensions
        var current = (theta: theta, logWeights: logWeights)
        var previousPassed = false
        for round in 1...max(1, rounds) {
            var picks = ImportanceWeights.systematicResample(logWeights: current.logWeights, count: fitPoints, uniform: g.nextUniform())
            // Weights carried by a few draws (the proposal far wider than the target) cannot
            // shape a covariance: the best `topFraction` of the draws, each once, say where the
            // target is instead (the cross-entropy method's elite set), and later rounds narrow in.
            let minimum = max(4 * d, 20)
            let elite = Set(picks).count < minimum
            if elite {
                let finite = current.logWeights.indices.filter { current.logWeights[$0].isFinite }
                let best = max(minimum, Int(topFraction * Double(current.logWeights.count)))
                picks = Array(finite.sorted { current.logWeights[$0] > current.logWeights[$1] }.prefix(best))
            }
            var points = [Double]()
            for i in picks {
                let row = current.theta[(i * d)..<((i + 1) * d)]
                guard box.isInterior(row) else { continue }
                points += box.unbounded(row)
            }
            // Too few usable draws to fit a covariance.
            guard points.count >= (d + 2) * d else { return nil }
            // Not widened while narrowing in on the elite: each such round shrinks the proposal.
            let fitted = GaussianMixture.fit(points: points, dimensions: d, components: components, generator: &g)
                .widened(by: elite ? 1 : widening)
            let mixture = Self.withDefensiveComponent(fitted, points: points, weight: defensiveWeight, scale: defensiveScale)
            let shared = defensive.map { min(draws - 1, Int(($0.weight * Double(draws)).rounded())) } ?? 0
            var drawn = [Double](), logProposal = [Double]()
            drawn.reserveCapacity(draws * d)
            while logProposal.count < draws - shared {
                let y = mixture.draw(&g)
                let t = box.bounded(y)
                // A draw rounded onto the box's edge (|y| ≳ 36) has no finite density: drawn again.
                guard box.isInterior(t) else { continue }
                drawn += t
                logProposal.append(mixture.logDensity(y) + box.logJacobian(t))
            }
            if let defensive, shared > 0 {
                // Draws in fixed shares: the proposal is the mixture (1 − α)·g + α·q exactly.
                let extra = defensive.draw(shared, &g)
                for i in 0..<shared {
                    let t = extra[(i * d)..<((i + 1) * d)]
                    drawn += t
                    logProposal.append(box.isInterior(t) ? mixture.logDensity(box.unbounded(t)) + box.logJacobian(t) : -.infinity)
                }
                let alpha = Double(shared) / Double(draws)
                let logQ = defensive.logDensity(drawn, draws)
                logProposal = zip(logProposal, logQ).map { GaussianMixture.logSumExp([log1p(-alpha) + $0, log(alpha) + $1]) }
            }
            let logW = zip(logTarget(drawn, draws), logProposal).map { $0 - $1 }
            let weights = ImportanceWeights(logWeights: logW)
            // k̂ cannot see mass no draw went to. An elite round's proposal is as narrow as the
            // elite; a weighted fit to a narrow round's draws can inherit that. So a result needs
            // two passing weighted rounds in a row: the second fitted to the first's draws, which
            // the defensive component spread beyond it.
            let passed = weights.isReliable && weights.essFraction >= minimumESSFraction && !elite
            if passed && previousPassed { return Result(theta: drawn, logWeights: logW, weights: weights, rounds: round) }
            previousPassed = passed
            current = (drawn, logW)
        }
        return nil
    }

    /// `mixture` × (1 − weight) plus a Gaussian of the points' mean and scale² × their covariance.
    static func withDefensiveComponent(_ mixture: GaussianMixture, points: [Double], weight: Double, scale: Double) -> GaussianMixture {
        let d = mixture.dimensions, n = points.count / d
        guard weight > 0, n > d else { return mixture }
        let mean = (0..<d).map { j in (0..<n).reduce(0) { $0 + points[$1 * d + j] } / Double(n) }
        var cov = [Double](repeating: 0, count: d * d)
        for i in 0..<n {
            for j in 0..<d {
                for k in 0..<d { cov[j * d + k] += (points[i * d + j] - mean[j]) * (points[i * d + k] - mean[k]) / Double(n) }
            }
        }
        for j in 0..<d { cov[j * d + j] += 1e-9 + 1e-6 * cov[j * d + j] }  // a ridge: never singular
        return mixture.adding(weight: weight, mean: mean, covariance: cov.map { $0 * scale * scale })
    }
}
