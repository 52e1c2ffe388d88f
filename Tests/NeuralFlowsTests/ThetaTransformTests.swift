import DigsCore
import Foundation
import NeuralFlows
import Testing

/// The maps of the prior box to ℝ against independent truths: tabulated normal quantiles,
/// Φ(Φ⁻¹(p)) = p, finite differences of the map, and the law of a uniform prior's image.
struct ThetaTransformTests {
    @Test func normalQuantileMatchesTabulatedValuesAndInvertsPhi() {
        // Φ⁻¹ at tabulated points (Abramowitz & Stegun 26.2; values to 16 digits from scipy.special.ndtri).
        let table: [(Double, Double)] = [(0.5, 0), (0.975, 1.959963984540054), (0.8413447460685429, 1),
                                         (1e-10, -6.361340902404056), (0.02, -2.053748910631823), (1e-12, -7.034483825301131)]
        for (p, x) in table {
            #expect(abs(ThetaTransform.normalQuantile(p) - x) < 1e-12 * max(1, abs(x)), "Φ⁻¹(\(p))")
        }
        for e in stride(from: -12.0, through: -0.302, by: 0.05) {
            let p = pow(10, e)
            #expect(abs(ThetaTransform.normalCDF(ThetaTransform.normalQuantile(p)) / p - 1) < 1e-13, "p \(p)")
        }
    }

    @Test(arguments: ThetaTransform.allCases)
    func mapsInvertAndTheirJacobianIsTheDerivative(_ transform: ThetaTransform) {
        // low = 0: values near the lower edge are exact in floating point, so the differences are too.
        let (low, high) = (0.0, 2.2)
        for t in [1e-9, 1e-4, 0.013, 0.3, 0.5, 0.77, 0.999, 1 - 1e-7] {
            let theta = low + (high - low) * t
            let (y, logJacobian) = transform.forward(theta, low: low, high: high)
            let (back, inverseJacobian) = transform.inverse(y, low: low, high: high)
            #expect(abs(back - theta) < 1e-12 * (high - low), "θ \(theta)")
            #expect(abs(inverseJacobian - logJacobian) < 1e-9)
            let h = 1e-4 * min(t, 1 - t) * (high - low)
            let numeric = (transform.forward(theta + h, low: low, high: high).y - transform.forward(theta - h, low: low, high: high).y) / (2 * h)
            #expect(abs(log(numeric) - logJacobian) < 1e-4, "\(transform) at t \(t)")
        }
        // Values on the edges stay finite; the map is increasing.
        #expect(transform.forward(low, low: low, high: high).y.isFinite && transform.forward(high, low: low, high: high).y.isFinite)
        #expect(transform.forward(low, low: low, high: high).y < transform.forward(high, low: low, high: high).y)
    }

    @Test func probitMakesAUniformPriorStandardNormal() {
        var g = Xoshiro256StarStar(seed: 12)
        let n = 200_000
        let y = (0..<n).map { _ in ThetaTransform.probit.forward(8 + 5 * g.nextUniform(), low: 8, high: 13).y }.sorted()
        let mean = y.reduce(0, +) / Double(n), variance = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.01)
        // Kolmogorov–Smirnov distance to Φ: 1.63/√n is its 99 % point.
        let d = y.indices.map { abs(ThetaTransform.normalCDF(y[$0]) - (Double($0) + 0.5) / Double(n)) }.max()!
        #expect(d < 1.63 / Double(n).squareRoot(), "KS distance \(d)")
    }
}
