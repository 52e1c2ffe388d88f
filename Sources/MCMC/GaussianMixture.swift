import DigsCore
import Foundation

/// A mixture of K multivariate Gaussians in D dimensions, fitted by expectation–maximisation
/// (Dempster, Laird & Rubin 1977; Bishop 2006 §9.2): k-means++ seeding, responsibilities with
/// log-sum-exp, and every component's covariance regularised by 10⁻³ of its own variance per
/// dimension (never singular, however correlated) and at least 10⁻⁸ of the data's (a component
/// on repeated points does not collapse). A ridge scaled by the data's variance alone would widen
/// a narrow mode far from the others by orders of magnitude (σ 0.002 with modes 6 apart: ×50).
public struct GaussianMixture: Sendable, Equatable {
    public let dimensions: Int
    /// Component weights (sum 1).
    public private(set) var weights: [Double]
    /// Component means, [K][D].
    public private(set) var means: [[Double]]
    /// Lower Cholesky factors of the covariances, [K][D × D] row-major.
    public private(set) var choleskys: [[Double]] { didSet { logNormalisers = Self.logNormalisers(weights, choleskys, dimensions) } }
    /// log w_k − Σ_i log L_ii − (D/2) log 2π per component.
    private var logNormalisers: [Double]

    public init(weights: [Double], means: [[Double]], covariances: [[Double]]) {
        let d = means.first?.count ?? 0
        precondition(weights.count == means.count && covariances.count == means.count && covariances.allSatisfy { $0.count == d * d })
        dimensions = d
        let total = weights.reduce(0, +)
        self.weights = weights.map { $0 / total }
        self.means = means
        let factors = covariances.map { Self.cholesky($0, d)! }
        choleskys = factors
        logNormalisers = Self.logNormalisers(self.weights, factors, d)
    }

    private static func logNormalisers(_ weights: [Double], _ choleskys: [[Double]], _ d: Int) -> [Double] {
        zip(weights, choleskys).map { w, l in
            log(w) - (0..<d).reduce(0) { $0 + log(l[$1 * d + $1]) } - 0.5 * Double(d) * log(2 * Double.pi)
        }
    }

    public var components: Int { weights.count }

    /// log of the mixture density at y.
    public func logDensity<C: Collection>(_ y: C) -> Double where C.Element == Double {
        let point = Array(y)
        return Self.logSumExp((0..<components).map { logNormalisers[$0] - 0.5 * mahalanobis($0, point) })
    }

    /// One draw: a component by weight, then μ + L·z.
    public func draw(_ g: inout Xoshiro256StarStar) -> [Double] {
        let u = g.nextUniform()
        var k = 0, cumulative = weights[0]
        while u >= cumulative && k < components - 1 { k += 1; cumulative += weights[k] }
        let z = (0..<dimensions).map { _ in g.nextNormal() }
        let l = choleskys[k], d = dimensions
        return (0..<d).map { i in means[k][i] + (0...i).reduce(0) { $0 + l[i * d + $1] * z[$1] } }
    }

    /// This mixture with weight 1 − `weight`, plus one component of that weight (its covariance
    /// symmetric positive-definite); the existing components keep their factors.
    public func adding(weight: Double, mean: [Double], covariance: [Double]) -> GaussianMixture {
        precondition(weight > 0 && weight < 1 && mean.count == dimensions && covariance.count == dimensions * dimensions)
        var copy = self
        copy.weights = weights.map { $0 * (1 - weight) } + [weight]
        copy.means = means + [mean]
        copy.choleskys = choleskys + [Self.cholesky(covariance, dimensions)!]  // didSet renews the normalisers
        return copy
    }

    /// The mixture's marginal over every dimension but `dimension` (each component's mean and
    /// covariance without that row and column; weights unchanged).
    public func marginal(dropping dimension: Int) -> GaussianMixture {
        let d = dimensions, kept = (0..<d).filter { $0 != dimension }
        let covariances = choleskys.map { l -> [Double] in
            var c = [Double]()
            for i in kept {
                for j in kept {
                    var sum = 0.0
                    for m in 0...min(i, j) { sum += l[i * d + m] * l[j * d + m] }
                    c.append(sum)
                }
            }
            return c
        }
        return GaussianMixture(weights: weights, means: means.map { m in kept.map { m[$0] } }, covariances: covariances)
    }

    /// The same mixture with every standard deviation multiplied by `factor` (covariances by its square).
    public func widened(by factor: Double) -> GaussianMixture {
        var copy = self
        copy.choleskys = choleskys.map { $0.map { $0 * factor } }
        return copy
    }

    /// (y − μ_k)ᵀ Σ_k⁻¹ (y − μ_k), by forward substitution with the Cholesky factor.
    func mahalanobis(_ k: Int, _ y: [Double]) -> Double {
        let d = dimensions
        return choleskys[k].withUnsafeBufferPointer { l in
            means[k].withUnsafeBufferPointer { mean in
                withUnsafeTemporaryAllocation(of: Double.self, capacity: d) { z in
                    var quadratic = 0.0
                    for i in 0..<d {
                        var s = y[i] - mean[i]
                        for j in 0..<i { s -= l[i * d + j] * z[j] }
                        z[i] = s / l[i * d + i]
                        quadratic += z[i] * z[i]
                    }
                    return quadratic
                }
            }
        }
    }

    /// Fits `components` Gaussians to `points` ([n × D] row-major): k-means++ seeds, then EM until
    /// the mean log-likelihood changes by less than 10⁻⁶ or `iterations` rounds. Components left
    /// with fewer than D + 2 points' worth of responsibility are dropped.
    public static func fit(points: [Double], dimensions d: Int, components requested: Int, iterations: Int = 100,
                           generator g: inout Xoshiro256StarStar) -> GaussianMixture {
        let n = points.count / d
        precondition(n >= 2 && points.count == n * d, "a fit needs at least two points of D values")
        func row(_ i: Int) -> ArraySlice<Double> { points[(i * d)..<((i + 1) * d)] }
        let overallMean = (0..<d).map { j in (0..<n).reduce(0) { $0 + points[$1 * d + j] } / Double(n) }
        let variance = (0..<d).map { j in
            max((0..<n).reduce(0) { $0 + pow(points[$1 * d + j] - overallMean[j], 2) } / Double(n), 1e-300)
        }
        let floor = variance.map { 1e-8 * $0 }
        // k-means++ seeding (Arthur & Vassilvitskii 2007) in variance-scaled distance.
        func distance(_ a: ArraySlice<Double>, _ b: [Double]) -> Double {
            zip(zip(a, b), variance).reduce(0) { $0 + pow($1.0.0 - $1.0.1, 2) / $1.1 }
        }
        let k0 = max(1, min(requested, n / (d + 2)))
        var means = [Array(row(Int(g.next() % UInt64(n))))]
        var nearest = (0..<n).map { distance(row($0), means[0]) }
        while means.count < k0 {
            let total = nearest.reduce(0, +)
            guard total > 0 else { break }
            var u = g.nextUniform() * total, pick = n - 1
            for i in 0..<n { u -= nearest[i]; if u <= 0 { pick = i; break } }
            means.append(Array(row(pick)))
            for i in 0..<n { nearest[i] = min(nearest[i], distance(row(i), means[means.count - 1])) }
        }
        let diagonal = (0..<(d * d)).map { $0 % (d + 1) == 0 ? variance[$0 / d] : 0 }
        var mixture = GaussianMixture(weights: [Double](repeating: 1, count: means.count), means: means,
                                      covariances: [[Double]](repeating: diagonal, count: means.count))
        var previous = -Double.infinity
        for _ in 0..<iterations {
            // E-step.
            let k = mixture.components
            var responsibility = [Double](repeating: 0, count: n * k), logLikelihood = 0.0
            for i in 0..<n {
                let y = Array(row(i))
                let terms = (0..<k).map { mixture.logNormalisers[$0] - 0.5 * mixture.mahalanobis($0, y) }
                let total = logSumExp(terms)
                logLikelihood += total
                for c in 0..<k { responsibility[i * k + c] = exp(terms[c] - total) }
            }
            logLikelihood /= Double(n)
            // M-step.
            var weights = [Double](), newMeans = [[Double]](), covariances = [[Double]]()
            for c in 0..<k {
                let nc = (0..<n).reduce(0) { $0 + responsibility[$1 * k + c] }
                guard nc >= Double(d + 2) else { continue }
                let mean = (0..<d).map { j in (0..<n).reduce(0) { $0 + responsibility[$1 * k + c] * points[$1 * d + j] } / nc }
                var cov = [Double](repeating: 0, count: d * d)
                for i in 0..<n {
                    let r = responsibility[i * k + c]
                    guard r > 0 else { continue }
                    for a in 0..<d {
                        let da = points[i * d + a] - mean[a]
                        for b in 0...a { cov[a * d + b] += r * da * (points[i * d + b] - mean[b]) }
                    }
                }
                for a in 0..<d {
                    for b in 0...a { cov[a * d + b] /= nc; cov[b * d + a] = cov[a * d + b] }
                    cov[a * d + a] += max(1e-3 * cov[a * d + a], floor[a])
                }
                guard cholesky(cov, d) != nil else { continue }
                weights.append(nc)
                newMeans.append(mean)
                covariances.append(cov)
            }
            if weights.isEmpty { break }
            mixture = GaussianMixture(weights: weights, means: newMeans, covariances: covariances)
            if abs(logLikelihood - previous) < 1e-6 { break }
            previous = logLikelihood
        }
        return mixture
    }

    /// Lower Cholesky factor of a symmetric positive-definite D × D matrix; nil when it is not one.
    static func cholesky(_ a: [Double], _ d: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var s = a[i * d + j]
                for m in 0..<j { s -= l[i * d + m] * l[j * d + m] }
                if i == j {
                    guard s > 0, s.isFinite else { return nil }
                    l[i * d + i] = s.squareRoot()
                } else {
                    l[i * d + j] = s / l[j * d + j]
                }
            }
        }
        return l
    }

    static func logSumExp(_ values: [Double]) -> Double {
        guard let top = values.max(), top > -.infinity else { return -.infinity }
        return top + log(values.reduce(0) { $0 + exp($1 - top) })
    }
}
