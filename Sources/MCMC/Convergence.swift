/// Whether an ensemble's production chain can serve as the reference posterior: it must be
/// long against its autocorrelation time and its walkers must agree.
///
/// - split-R̂ (Gelman et al., BDA3 §11.4): every walker's chain is cut in half, giving M = 2W
///   chains of n steps; with B = n/(M−1) Σ (θ̄_m − θ̄)² and W = mean of the chains' variances,
///   R̂ = √(((n−1)/n · W + B/n) / W). It is 1 when all halves sample the same distribution.
/// - The chain counts as converged when it is at least `minimumTaus` autocorrelation times
///   long for every parameter and every split-R̂ is at most `maximumRHat`.
public struct ChainConvergence: Sendable, Equatable {
    /// Integrated autocorrelation time per parameter, steps.
    public let autocorrelationTime: [Double]
    /// split-R̂ per parameter.
    public let splitRHat: [Double]
    /// Production steps.
    public let steps: Int

    public static let minimumTaus = 50.0, maximumRHat = 1.01

    public init(autocorrelationTime: [Double], splitRHat: [Double], steps: Int) {
        (self.autocorrelationTime, self.splitRHat, self.steps) = (autocorrelationTime, splitRHat, steps)
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
