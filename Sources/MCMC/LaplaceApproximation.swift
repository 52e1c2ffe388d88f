import Foundation

/// The Gaussian a log density f on ℝ^D looks like at its mode (Laplace's method): the mode found
/// by Nelder–Mead from a starting point (with the dimension-adapted coefficients of Gao & Han
/// 2012), the covariance (−∇²f)⁻¹ from central finite differences there. Where the weights of
/// an importance sampler sit on one draw, the draw shows where the target's mass is but not its
/// shape; this gives the shape of the mode around it.
public struct LaplaceApproximation: Sendable {
    public let mode: [Double]
    /// f at the mode.
    public let logDensity: Double
    /// (−∇²f(mode))⁻¹, D × D row-major.
    public let covariance: [Double]
    /// Evaluations of f made.
    public let evaluations: Int

    /// `f(rows, count)`: f at `count` points [count × D] (−∞ where it is zero); `start`: a point
    /// where f is finite; `scale`: a length per dimension, about the mode's width or wider (the
    /// first simplex's edges are 0.1 · scale). nil when f is not finite at `start` or its
    /// curvature at the mode found is not negative definite (no Gaussian fits there).
    public init?(logDensity f: ([Double], Int) -> [Double], start: [Double], scale: [Double], maxEvaluations: Int = 2000) {
        let d = start.count
        var evaluations = 0
        func value(_ x: [Double]) -> Double {
            evaluations += 1
            let v = f(x, 1)[0]
            return v.isFinite ? -v : .infinity  // minimised
        }
        // Nelder–Mead on −f.
        var simplex = [start] + (0..<d).map { j in var x = start; x[j] += 0.1 * scale[j]; return x }
        var values = simplex.map(value)
        guard values[0].isFinite else { return nil }
        let n = Double(d)
        let (alpha, beta, gamma, delta) = (1.0, 1 + 2 / n, 0.75 - 1 / (2 * n), 1 - 1 / n)
        while evaluations < maxEvaluations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            (simplex, values) = (order.map { simplex[$0] }, order.map { values[$0] })
            let spread = values[d] - values[0]
            let size = (1...d).map { k in zip(simplex[k], simplex[0]).map { abs($0 - $1) }.max()! }.max()!
            if spread < 1e-10 && size < 1e-8 * (scale.max() ?? 1) { break }
            let centroid = (0..<d).map { j in simplex[0..<d].reduce(0) { $0 + $1[j] } / n }
            func toward(_ t: Double) -> [Double] { (0..<d).map { centroid[$0] + t * (simplex[d][$0] - centroid[$0]) } }
            let reflected = toward(-alpha), r = value(reflected)
            if r < values[0] {
                let expanded = toward(-alpha * beta), e = value(expanded)
                (simplex[d], values[d]) = e < r ? (expanded, e) : (reflected, r)
            } else if r < values[d - 1] {
                (simplex[d], values[d]) = (reflected, r)
            } else {
                let contracted = r < values[d] ? toward(-alpha * gamma) : toward(gamma)
                let c = value(contracted)
                if c < min(r, values[d]) {
                    (simplex[d], values[d]) = (contracted, c)
                } else {
                    for k in 1...d {
                        simplex[k] = (0..<d).map { simplex[0][$0] + delta * (simplex[k][$0] - simplex[0][$0]) }
                        values[k] = value(simplex[k])
                    }
                }
            }
        }
        let best = values.indices.min { values[$0] < values[$1] }!
        let x = simplex[best]
        // Curvature: first with steps of a tenth of `scale`, then of the widths that gives —
        // on the mode's own scale, where f is nearly quadratic and differences are not dominated
        // by rounding (a model spectrum in single precision makes f noisy at ~10⁻⁵).
        var steps = scale.map { 0.1 * $0 }
        var covariance: [Double]?
        for _ in 0..<2 {
            guard let c = Self.inverseNegativeHessian(f, at: x, steps: steps, evaluations: &evaluations) else { break }
            covariance = c
            steps = (0..<d).map { c[$0 * d + $0].squareRoot() }
        }
        guard let covariance else { return nil }
        (self.mode, self.logDensity, self.covariance, self.evaluations) = (x, -values[best], covariance, evaluations)
    }

    /// (−∇²f(x))⁻¹ by central differences with `steps` per dimension, in one batch of 1 + 2D²
    /// points; nil when −∇²f is not positive definite or f is not finite at every point.
    static func inverseNegativeHessian(_ f: ([Double], Int) -> [Double], at x: [Double], steps h: [Double],
                                       evaluations: inout Int) -> [Double]? {
        let d = x.count
        func shifted(_ moves: [(Int, Double)]) -> [Double] {
            var y = x
            for (j, s) in moves { y[j] += s * h[j] }
            return y
        }
        var points = [x]
        for i in 0..<d { points += [shifted([(i, 1)]), shifted([(i, -1)])] }
        for i in 0..<d {
            for j in 0..<i {
                points += [shifted([(i, 1), (j, 1)]), shifted([(i, 1), (j, -1)]), shifted([(i, -1), (j, 1)]), shifted([(i, -1), (j, -1)])]
            }
        }
        let v = f(points.flatMap { $0 }, points.count)
        evaluations += points.count
        guard v.allSatisfy(\.isFinite) else { return nil }
        var negativeHessian = [Double](repeating: 0, count: d * d)
        for i in 0..<d { negativeHessian[i * d + i] = -(v[1 + 2 * i] - 2 * v[0] + v[2 + 2 * i]) / (h[i] * h[i]) }
        var k = 1 + 2 * d
        for i in 0..<d {
            for j in 0..<i {
                let value = -(v[k] - v[k + 1] - v[k + 2] + v[k + 3]) / (4 * h[i] * h[j])
                (negativeHessian[i * d + j], negativeHessian[j * d + i]) = (value, value)
                k += 4
            }
        }
        guard let l = GaussianMixture.cholesky(negativeHessian, d) else { return nil }
        // (L Lᵀ)⁻¹ column by column: forward then back substitution of each unit vector.
        var inverse = [Double](repeating: 0, count: d * d)
        for c in 0..<d {
            var y = [Double](repeating: 0, count: d)
            for i in 0..<d { y[i] = ((i == c ? 1 : 0) - (0..<i).reduce(0) { $0 + l[i * d + $1] * y[$1] }) / l[i * d + i] }
            for i in stride(from: d - 1, through: 0, by: -1) {
                y[i] = (y[i] - ((i + 1)..<d).reduce(0) { $0 + l[$1 * d + i] * y[$1] }) / l[i * d + i]
            }
            for i in 0..<d { inverse[i * d + c] = y[i] }
        }
        return inverse
    }
}
