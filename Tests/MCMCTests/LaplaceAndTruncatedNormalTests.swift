import DigsCore
import Foundation
import MCMC
import Testing

@Suite("Laplace approximation, truncated normal, mixture marginals: against closed forms")
struct LaplaceAndTruncatedNormalTests {
    @Test("on a correlated 3-D Gaussian log density the mode and covariance are the Gaussian's")
    func laplaceOfAGaussian() throws {
        let mean = [1.0, -2.0, 0.5]
        // Covariance Σ = L Lᵀ with L = [[0.3, 0, 0], [0.1, 0.2, 0], [-0.05, 0.04, 0.1]].
        let l = [[0.3, 0, 0], [0.1, 0.2, 0], [-0.05, 0.04, 0.1]]
        let sigma = (0..<3).map { i in (0..<3).map { j in (0..<3).reduce(0.0) { $0 + l[i][$1] * l[j][$1] } } }
        func logDensity(_ rows: [Double], _ n: Int) -> [Double] {
            (0..<n).map { r in
                // z = L⁻¹(x − μ) by forward substitution; log density −|z|²/2.
                var z = [Double](repeating: 0, count: 3)
                for i in 0..<3 { z[i] = (rows[3 * r + i] - mean[i] - (0..<i).reduce(0) { $0 + l[i][$1] * z[$1] }) / l[i][i] }
                return -z.reduce(0) { $0 + $1 * $1 } / 2
            }
        }
        let laplace = try #require(LaplaceApproximation(logDensity: logDensity, start: [0, 0, 0], scale: [1, 1, 1]))
        for i in 0..<3 {
            #expect(abs(laplace.mode[i] - mean[i]) < 1e-4, "mode \(i): \(laplace.mode[i])")
            for j in 0..<3 { #expect(abs(laplace.covariance[i * 3 + j] - sigma[i][j]) < 1e-6, "Σ \(i),\(j)") }
        }
        #expect(abs(laplace.logDensity) < 1e-8)
        // No mode with negative curvature: a log density that rises without bound along x₀.
        func rising(_ rows: [Double], _ n: Int) -> [Double] {
            (0..<n).map { r -> Double in
                let (x, y, z) = (rows[3 * r], rows[3 * r + 1], rows[3 * r + 2])
                return x - y * y - z * z
            }
        }
        #expect(LaplaceApproximation(logDensity: rising, start: [0, 0, 0], scale: [1, 1, 1], maxEvaluations: 300) == nil)
    }

    @Test("the truncated normal's density integrates to one and its draws have the closed-form mean, near and far in the tail")
    func truncatedNormal() {
        for (low, high) in [(-1.0, 2.0), (8.0, 9.0), (-40.0, -39.5)] {
            let (mean, sd) = (0.0, 1.0)
            // Midpoint rule over (low, high).
            let n = 200_000, h = (high - low) / Double(n)
            var integral = 0.0
            for k in 0..<n {
                let x = low + (Double(k) + 0.5) * h
                integral += exp(TruncatedNormal.logDensity(x, mean: mean, sd: sd, low: low, high: high)) * h
            }
            #expect(abs(integral - 1) < 1e-6, "∫ over (\(low), \(high)) = \(integral)")
            // E[X] = μ + σ (φ(a) − φ(b)) / Z, computed with the densities relative to φ(a) so the far tail stays finite.
            let (a, b) = ((low - mean) / sd, (high - mean) / sd)
            let near = abs(a) < abs(b) ? a : b
            let phiA = exp(-(a * a - near * near) / 2), phiB = exp(-(b * b - near * near) / 2)
            var scaledMass = 0.0  // Z · √(2π) / φ(near), by the midpoint rule
            for k in 0..<n {
                let z = a + (Double(k) + 0.5) * (b - a) / Double(n)
                scaledMass += exp(-(z * z - near * near) / 2) * (b - a) / Double(n)
            }
            let expected = mean + sd * (phiA - phiB) / scaledMass
            var g = Xoshiro256StarStar(seed: 3)
            var sum = 0.0, count = 0
            for _ in 0..<20_000 {
                guard let x = TruncatedNormal.draw(mean: mean, sd: sd, low: low, high: high, generator: &g) else { continue }
                #expect(x > low && x < high)
                sum += x
                count += 1
            }
            #expect(count == 20_000)
            #expect(abs(sum / Double(count) - expected) < 0.02 * min(1, high - low), "mean on (\(low), \(high)): \(sum / Double(count)) vs \(expected)")
        }
    }

    @Test("a mixture's marginal is the mixture of its components' marginals (closed form)")
    func marginal() {
        let mixture = GaussianMixture(weights: [0.3, 0.7], means: [[0, 1, 2], [1, -1, 0]],
                                      covariances: [[1, 0.2, 0.1, 0.2, 2, 0.3, 0.1, 0.3, 0.5], [0.5, 0, -0.1, 0, 1, 0, -0.1, 0, 0.4]])
        let dropped = mixture.marginal(dropping: 1)
        // Dimensions 0 and 2: component covariances [[1, 0.1], [0.1, 0.5]] and [[0.5, −0.1], [−0.1, 0.4]].
        func gaussian(_ y: [Double], _ m: [Double], _ c: [Double]) -> Double {
            let det = c[0] * c[3] - c[1] * c[2], (u, v) = (y[0] - m[0], y[1] - m[1])
            let q = (c[3] * u * u - 2 * c[1] * u * v + c[0] * v * v) / det
            return exp(-q / 2) / (2 * Double.pi * det.squareRoot())
        }
        for y in [[0.0, 0.0], [1.5, -0.7], [-2.0, 3.0]] {
            let expected = 0.3 * gaussian(y, [0, 2], [1, 0.1, 0.1, 0.5]) + 0.7 * gaussian(y, [1, 0], [0.5, -0.1, -0.1, 0.4])
            #expect(abs(dropped.logDensity(y) - log(expected)) < 1e-12, "at \(y)")
        }
    }
}
