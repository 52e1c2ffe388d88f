/// How one parameter's posterior from a fast method (NPE) compares with a reference (MCMC).
public struct SampleComparison: Sendable, Equatable {
    /// (median_test − median_reference) / σ_reference, σ = (P84 − P16)/2.
    public var medianOffset: Double
    /// σ_test / σ_reference: 1 = same 68 % width.
    public var widthRatio: Double
    /// Energy distance D² = 2∫(F − G)² dx between the two samples, in units of σ_reference
    /// (0 for identical distributions; two Gaussians offset by δσ: ≈ 0.56δ² for small δ).
    public var energyDistance: Double

    public init(test: [Double], reference: [Double]) {
        let a = test.sorted(), b = reference.sorted()
        let sigma = (SampleSummary.percentile(sorted: b, 84) - SampleSummary.percentile(sorted: b, 16)) / 2
        medianOffset = (SampleSummary.percentile(sorted: a, 50) - SampleSummary.percentile(sorted: b, 50)) / sigma
        widthRatio = (SampleSummary.percentile(sorted: a, 84) - SampleSummary.percentile(sorted: a, 16)) / 2 / sigma
        energyDistance = Self.energyDistance(sortedA: a, sortedB: b) / sigma
    }

    /// 2∫(F_a − F_b)² dx of the two empirical CDFs (exact, by merging the sorted samples).
    static func energyDistance(sortedA a: [Double], sortedB b: [Double]) -> Double {
        var i = 0, j = 0, sum = 0.0
        var last = min(a[0], b[0])
        while i < a.count || j < b.count {
            let next = j >= b.count || (i < a.count && a[i] <= b[j]) ? a[i] : b[j]
            let fa = Double(i) / Double(a.count), fb = Double(j) / Double(b.count)
            sum += (fa - fb) * (fa - fb) * (next - last)
            last = next
            if j >= b.count || (i < a.count && a[i] <= b[j]) { i += 1 } else { j += 1 }
        }
        return 2 * sum
    }
}
