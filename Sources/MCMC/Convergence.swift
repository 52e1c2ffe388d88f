/// Whether an ensemble's production chain can serve as the reference posterior: it must be
/// long against its autocorrelation time and its walkers must agree.
///
/// - split-R̂ (Gelman et al., BDA3 §11.4): every walker's chain is cut in half, giving M = 2W
///   chains of n steps; with B = n/(M−1) Σ (θ̄_m − θ̄)² and W = mean of the chains' variances,
///   R̂ = √(((n−1)/n · W + B/n) / W). It is 1 when all halves sample the same distribution.
/// - Missed mode: split-R̂ compares walkers with one another, so an ensemble whose walkers all
///   settled in one mode passes it however much more probable another mode is. Where a position
///   evaluated outside production (a walker's start, burn-in, screened candidates such as the
///   NPE's samples) has a log p more than `maximumMissedLogProbability` above every production
///   step, production has not reached the posterior's peak: it missed the mode that holds it.
///   (A production of thousands of steps gets within a fraction of a nat of the peak of the
///   mode it samples: −log p of a D-dimensional Gaussian posterior exceeds its minimum by χ²_D/2.)
/// - The chain counts as converged when it is at least `minimumTaus` autocorrelation times
///   long for every parameter, every split-R̂ is at most `maximumRHat` and it missed no mode.
public struct ChainConvergence: Sendable, Equatable {
    /// Integrated autocorrelation time per parameter, steps.
    public let autocorrelationTime: [Double]
    /// split-R̂ per parameter.
    public let splitRHat: [Double]
    /// Production steps.
    public let steps: Int
    /// log p of the best position known minus the best of production (≥ 0; `ChainResult.missedLogProbability`).
    public let missedLogProbability: Double

    public static let minimumTaus = 50.0, maximumRHat = 1.01, maximumMissedLogProbability = 2.0

    public init(autocorrelationTime: [Double], splitRHat: [Double], steps: Int, missedLogProbability: Double = 0) {
        (self.autocorrelationTime, self.splitRHat, self.steps) = (autocorrelationTime, splitRHat, steps)
        self.missedLogProbability = missedLogProbability
    }

    public var isConverged: Bool { problem == nil }

    /// Why the chain is no reference, in words (nil: it is one).
    public var problem: String? {
        var reasons = [String]()
        if let tau = autocorrelationTime.max(), !(Double(steps) >= Self.minimumTaus * tau) {
            reasons.append("\(steps) steps are \(String(format: "%.1f", Double(steps) / tau)) τ (τ up to \(String(format: "%.1f", tau)); needs ≥ \(Int(Self.minimumTaus)) τ)")
        }
        if let r = splitRHat.max(), !(r <= Self.maximumRHat) {
            reasons.append("split-R̂ up to \(String(format: "%.3f", r)) (needs ≤ \(Self.maximumRHat))")
        }
        if !(missedLogProbability <= Self.maximumMissedLogProbability) {
            reasons.append(String(format: "a position found outside production has log p %.1f above every production step (needs ≤ %.0f): the chain misses the posterior's main mode",
                                  missedLogProbability, Self.maximumMissedLogProbability))
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    /// split-R̂ of one parameter from `chains[w][t]` (walkers × steps, at least 4 steps).
    public static func splitRHat(_ chains: [[Double]]) -> Double {
        guard let t = chains.first?.count, t >= 4 else { return .nan }
        let n = t / 2
        let halves = chains.flatMap { [Array($0[0..<n]), Array($0[(t - n)..<t])] }
        let m = Double(halves.count)
        let means = halves.map { $0.reduce(0, +) / Double(n) }
        let grand = means.reduce(0, +) / m
        let between = Double(n) / (m - 1) * means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        let within = zip(halves, means).reduce(0.0) { acc, pair in
            acc + pair.0.reduce(0) { $0 + ($1 - pair.1) * ($1 - pair.1) } / Double(n - 1)
        } / m
        guard within > 0 else { return between > 0 ? .infinity : 1 }
        return ((Double(n - 1) / Double(n) * within + between / Double(n)) / within).squareRoot()
    }
}
