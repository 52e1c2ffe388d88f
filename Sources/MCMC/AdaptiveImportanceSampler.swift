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
    /// An elite round's mixture gives this weight to a Gaussian from the Laplace approximation
    /// (`LaplaceApproximation`, in the box's unbounded coordinates) at the elite's most probable
    /// draw, widened by `widening`; 0 turns it off.
    public var laplaceWeight = 0.5

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

    /// A coordinate whose exact conditional under the target, given the others, is a Gaussian
    /// truncated to the box (log_mass of a spectrum: `SpectrumPosterior.massConditional`). Each
    /// round's mixture then proposes the other coordinates (its marginal) and this one comes from
    /// its conditional, so the weights depend on the others alone: a direction the target pins
    /// far more tightly than any mixture could follow drops out of the problem.
    public struct GaussianConditional {
        public let index: Int
        /// The conditional's (mean, sd) of θ_index for `count` θ rows, whatever their θ_index (nil
        /// for a row where the target is 0).
        public let moments: ([Double], Int) -> [(mean: Double, sd: Double)?]

        public init(index: Int, moments: @escaping ([Double], Int) -> [(mean: Double, sd: Double)?]) {
            (self.index, self.moments) = (index, moments)
        }
    }

    /// `theta` [S × D] and `logWeights` [S]: the first draws and their log weights against the
    /// target; `logTarget(rows, count)`: the log target density of `count` θ rows (−∞ where it
    /// is zero, e.g. outside a truncated prior); `defensive`: a proposal each round's draws are
    /// partly taken from (their weights then use the mixture's density, Owen & Zhou 2000).
    public func refine(theta: [Double], logWeights: [Double], logTarget: ([Double], Int) -> [Double],
                       defensive: Defensive? = nil, conditional: GaussianConditional? = nil,
                       generator g: inout Xoshiro256StarStar) -> Result? {
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
            var fitted = GaussianMixture.fit(points: points, dimensions: d, components: components, generator: &g)
                .widened(by: elite ? 1 : widening)
            // The elite says where the mass is, not the shape of the mode there: a Laplace
            // approximation at the most probable elite draw gives it half the proposal.
            if elite, let laplace = laplace(around: picks, of: current.theta, points: points, logTarget: logTarget) {
                fitted = fitted.adding(weight: laplaceWeight, mean: laplace.mode, covariance: laplace.covariance.map { $0 * widening * widening })
            }
            let mixture = Self.withDefensiveComponent(fitted, points: points, weight: defensiveWeight, scale: defensiveScale)
            let shared = defensive.map { min(draws - 1, Int(($0.weight * Double(draws)).rounded())) } ?? 0
            var drawn = [Double]()
            drawn.reserveCapacity(draws * d)
            while drawn.count < (draws - shared) * d {
                let t = box.bounded(mixture.draw(&g))
                // A draw rounded onto the box's edge (|y| ≳ 36) has no finite density: drawn again.
                if box.isInterior(t) { drawn += t }
            }
            if let defensive, shared > 0 { drawn += defensive.draw(shared, &g) }
            // With an exact conditional, the mixture's draws take that coordinate from it instead.
            let moments = conditional.map { $0.moments(drawn, draws) }
            var impossible = Set<Int>()
            if let conditional, let moments {
                let k = conditional.index
                for r in 0..<(draws - shared) {
                    guard let m = moments[r],
                          let x = TruncatedNormal.draw(mean: m.mean, sd: m.sd, low: box.low[k], high: box.high[k], generator: &g) else {
                        impossible.insert(r)  // the target has no mass at these other coordinates
                        continue
                    }
                    drawn[r * d + k] = x
                }
            }
            let marginal = conditional.map { mixture.marginal(dropping: $0.index) }
            var logProposal = (0..<draws).map { r -> Double in
                let t = drawn[(r * d)..<((r + 1) * d)]
                guard box.isInterior(t) else { return -.infinity }
                var y = box.unbounded(t)
                guard let conditional, let marginal, let moments else { return mixture.logDensity(y) + box.logJacobian(t) }
                let k = conditional.index, (l, h) = (box.low[k], box.high[k])
                guard let m = moments[r] else { return 0 }  // the target is 0 there: any finite value
                y.remove(at: k)
                return marginal.logDensity(y) + box.logJacobian(t) - log((h - l) / ((t[t.startIndex + k] - l) * (h - t[t.startIndex + k])))
                    + TruncatedNormal.logDensity(t[t.startIndex + k], mean: m.mean, sd: m.sd, low: l, high: h)
            }
            if let defensive, shared > 0 {
                // Draws in fixed shares: the proposal is the mixture (1 − α)·g + α·q exactly.
                let alpha = Double(shared) / Double(draws)
                let logQ = defensive.logDensity(drawn, draws)
                logProposal = zip(logProposal, logQ).map { GaussianMixture.logSumExp([log1p(-alpha) + $0, log(alpha) + $1]) }
            }
            var logW = zip(logTarget(drawn, draws), logProposal).map { $0 - $1 }
            for r in impossible { logW[r] = -.infinity }
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

    /// The Laplace approximation of the target in unbounded coordinates (log target + log
    /// Jacobian of θ(y)) at the most probable of the `picks` rows of `theta`; its starting scale the
    /// spread of `points` (their unbounded coordinates). nil when it has no negative-definite
    /// curvature there or `laplaceWeight` is 0.
    func laplace(around picks: [Int], of theta: [Double], points: [Double], logTarget: ([Double], Int) -> [Double]) -> LaplaceApproximation? {
        let d = box.dimensions, n = points.count / d
        guard laplaceWeight > 0, n >= 2 else { return nil }
        let rows = picks.flatMap { theta[($0 * d)..<(($0 + 1) * d)] }
        let target = logTarget(rows, picks.count)
        guard let top = target.indices.filter({ target[$0].isFinite }).max(by: { target[$0] < target[$1] }) else { return nil }
        let start = Array(rows[(top * d)..<((top + 1) * d)])
        guard box.isInterior(start) else { return nil }
        let scale = (0..<d).map { j -> Double in
            let mean = (0..<n).reduce(0) { $0 + points[$1 * d + j] } / Double(n)
            return max(1e-6, ((0..<n).reduce(0) { $0 + pow(points[$1 * d + j] - mean, 2) } / Double(n)).squareRoot())
        }
        return LaplaceApproximation(logDensity: { y, count in
            let t = (0..<count).flatMap { box.bounded(Array(y[($0 * d)..<(($0 + 1) * d)])) }
            let value = logTarget(t, count)
            return (0..<count).map { r in
                let row = t[(r * d)..<((r + 1) * d)]
                return box.isInterior(row) ? value[r] - box.logJacobian(row) : -.infinity  // density in y: p(θ)·|dθ/dy|
            }
        }, start: box.unbounded(start), scale: scale)
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
