import Foundation

/// How well a proposal q represents a target p, from the log importance weights
/// log w_i = log p(θ_i) − log q(θ_i) of S draws θ_i ~ q (constants in log p do not matter):
///
/// - `essFraction`: the effective sample size of the self-normalised weights over S,
///   (Σ w)² / (S Σ w²) — 1 when q = p, → 1/S when one draw carries all the weight;
/// - `paretoK`: the Pareto-smoothed importance sampling diagnostic k̂ (Vehtari, Simpson, Gelman,
///   Yao & Gabry 2024): the shape of a generalised Pareto distribution fitted, with the
///   Zhang & Stephens (2009) estimator and a weak prior as in `loo` and ArviZ, to the
///   M = ⌈min(0.2 S, 3 √S)⌉ largest weights. Below `paretoKThreshold` the weighted estimates
///   are reliable; above it the proposal misses mass of the target (k̂ ≥ 1: infinite variance).
public struct ImportanceWeights: Sendable, Equatable {
    public let essFraction: Double
    public let paretoK: Double
    public let draws: Int

    public init(logWeights: [Double]) {
        draws = logWeights.count
        let finite = logWeights.filter(\.isFinite)
        guard let top = finite.max() else {
            essFraction = 0
            paretoK = .infinity
            return
        }
        // Weights that are −∞ (the target rules the draw out) count as zero weight.
        let w = logWeights.map { $0.isFinite ? exp($0 - top) : 0 }
        let sum = w.reduce(0, +), squares = w.reduce(0) { $0 + $1 * $1 }
        essFraction = sum * sum / (squares * Double(logWeights.count))
        paretoK = Self.paretoK(logWeights: logWeights.map { $0.isFinite ? $0 - top : -.infinity })
    }

    /// Systematic resampling (Kitagawa 1996): the indices of `count` draws chosen in proportion
    /// to the weights exp(log w), in increasing order, with one uniform u ∈ [0, 1): draw i is
    /// taken ⌊count·W_i + u⌋ − ⌊count·W_{i−1} + u⌋ times (W the cumulative normalised weights),
    /// i.e. ⌊count·w_i⌋ or ⌈count·w_i⌉ times. Draws with −∞ (or NaN) log weight are never taken.
    public static func systematicResample(logWeights: [Double], count: Int, uniform u: Double) -> [Int] {
        let top = logWeights.filter(\.isFinite).max() ?? 0
        let w = logWeights.map { $0.isFinite ? exp($0 - top) : 0 }
        let total = w.reduce(0, +)
        guard total > 0, count > 0 else { return [] }
        var chosen = [Int](), cumulative = 0.0, previous = 0
        chosen.reserveCapacity(count)
        for (i, wi) in w.enumerated() {
            cumulative += wi / total
            let upTo = min(count, Int((Double(count) * cumulative + u).rounded(.down)))
            for _ in previous..<max(previous, upTo) { chosen.append(i) }
            previous = max(previous, upTo)
        }
        while chosen.count < count { chosen.append(w.lastIndex { $0 > 0 }!) }  // rounding at the end
        return chosen
    }

    /// k̂ above which PSIS estimates from S draws are unreliable: min(1 − 1/log10 S, 0.7).
    public static func paretoKThreshold(draws s: Int) -> Double { min(1 - 1 / log10(Double(max(s, 11))), 0.7) }

    /// Whether these weights pass the k̂ check.
    public var isReliable: Bool { paretoK <= Self.paretoKThreshold(draws: draws) }

    /// k̂ of the tail of the weights (log weights shifted so their maximum is 0), as ArviZ's
    /// `psislw`: the M largest above the cutoff, minus the cutoff's weight; ∞ when the tail has
    /// 4 draws or fewer, −∞ when every weight is the same.
    static func paretoK(logWeights x: [Double]) -> Double {
        let s = x.count
        let m = Int(ceil(min(0.2 * Double(s), 3 * Double(s).squareRoot())))
        let sorted = x.sorted()
        guard s - m - 1 >= 0 else { return .infinity }
        // Equal weights: the proposal is the target (no tail at all).
        if sorted.first == sorted.last { return -.infinity }
        let cutoff = max(sorted[s - m - 1], log(Double.leastNormalMagnitude))
        let tail = sorted.filter { $0 > cutoff }.map { exp($0) - exp(cutoff) }
        guard tail.count > 4 else { return .infinity }
        return generalizedParetoShape(exceedances: tail)
    }

    /// Shape k of a generalised Pareto distribution fitted to `exceedances` (> 0, increasing) by
    /// the Zhang & Stephens (2009) posterior-mean estimator with ArviZ's weak prior on k
    /// (10 pseudo-observations at k = 0.5).
    public static func generalizedParetoShape(exceedances x: [Double]) -> Double {
        let n = x.count, priorBs = 3.0, priorK = 10.0
        let mEst = 30 + Int(Double(n).squareRoot())
        let quartile = x[Int(Double(n) / 4 + 0.5) - 1]
        let b = (1...mEst).map { j in (1 - (Double(mEst) / (Double(j) - 0.5)).squareRoot()) / (priorBs * quartile) + 1 / x[n - 1] }
        let k = b.map { bj in x.reduce(0) { $0 + log1p(-bj * $1) } / Double(n) }
        let lengthScale = zip(b, k).map { Double(n) * (log(-($0 / $1)) - $1 - 1) }
        var weights = lengthScale.map { l in 1 / lengthScale.reduce(0) { $0 + exp($1 - l) } }
        var bKept = b
        let kept = weights.indices.filter { weights[$0] >= 10 * Double.ulpOfOne }
        if kept.count < weights.count {
            weights = kept.map { weights[$0] }
            bKept = kept.map { b[$0] }
        }
        let total = weights.reduce(0, +)
        let bPost = zip(bKept, weights).reduce(0) { $0 + $1.0 * $1.1 / total }
        let kPost = x.reduce(0) { $0 + log1p(-bPost * $1) } / Double(n)
        return (Double(n) * kPost + priorK * 0.5) / (Double(n) + priorK)
    }
}
