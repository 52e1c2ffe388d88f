import DigsCore
import Foundation
import MCMC
import Testing

@Suite("Ensemble sampler and autocorrelation time")
struct EnsembleSamplerTests {
    /// A linear-Gaussian model: θ ∈ ℝ⁵ in a wide box, x = A·θ + N(0, σ²I) with a fixed A
    /// (8 × 5); the posterior is N(μ, Σ), Σ = (AᵀA/σ²)⁻¹, μ = Σ·Aᵀx/σ² — correlated in 5-D.
    static let a: [[Double]] = (0..<8).map { (i: Int) -> [Double] in
        (0..<5).map { (j: Int) -> Double in
            let diagonal: Double = i == j ? 1.5 : 0
            return sin(Double(3 * i + 5 * j + 1)) + diagonal
        }
    }
    static let sigma = 0.3, box = 20.0

    static func logPosterior(_ x: [Double]) -> EnsembleSampler.LogProbability {
        { positions, count in
            (0..<count).map { r in
                let t = Array(positions[(r * 5)..<((r + 1) * 5)])
                guard t.allSatisfy({ abs($0) < box }) else { return -.infinity }
                var chi2 = 0.0
                for (i, row) in a.enumerated() {
                    let model = zip(row, t).reduce(0) { $0 + $1.0 * $1.1 }
                    chi2 += (x[i] - model) * (x[i] - model)
                }
                return -chi2 / (2 * sigma * sigma)
            }
        }
    }

    /// Σ and μ by Gauss–Jordan inversion of the 5 × 5 precision matrix.
    static func closedForm(_ x: [Double]) -> (mean: [Double], cov: [[Double]]) {
        var p = (0..<5).map { i in (0..<5).map { j in a.reduce(0) { $0 + $1[i] * $1[j] } / (sigma * sigma) } }
        var inv = (0..<5).map { i in (0..<5).map { $0 == i ? 1.0 : 0 } }
        for c in 0..<5 {
            let pivot = p[c][c]
            for j in 0..<5 { p[c][j] /= pivot; inv[c][j] /= pivot }
            for r in 0..<5 where r != c {
                let f = p[r][c]
                for j in 0..<5 { p[r][j] -= f * p[c][j]; inv[r][j] -= f * inv[c][j] }
            }
        }
        let b = (0..<5).map { j in zip(a, x).reduce(0) { $0 + $1.0[j] * $1.1 } / (sigma * sigma) }
        return ((0..<5).map { i in zip(inv[i], b).reduce(0) { $0 + $1.0 * $1.1 } }, inv)
    }

    func run(seed: UInt64, steps: Int, x: [Double]) throws -> (chain: [[Double]], state: EnsembleSampler.State) {
        let sampler = try EnsembleSampler(dimensions: 5, walkers: 32)
        var g = Xoshiro256StarStar(seed: seed)
        let start = (0..<(32 * 5)).map { _ in g.nextNormal() * 0.1 }
        var state = try sampler.start(start, logProb: Self.logPosterior(x))
        var chain = [[Double]]()
        for t in 0..<steps {
            sampler.step(&state, logProb: Self.logPosterior(x), generator: &g)
            if t >= 1000 { chain.append(state.positions) }
        }
        return (chain, state)
    }

    @Test("on a correlated 5-D Gaussian posterior the means and covariances match the closed form")
    func gaussian() throws {
        let x = [1.0, -0.5, 2.0, 0.3, -1.2, 0.8, 0.0, 1.5]
        let (chain, state) = try run(seed: 11, steps: 9000, x: x)
        let truth = Self.closedForm(x)
        let n = Double(chain.count * 32)
        let mean = (0..<5).map { j in chain.reduce(0) { s, p in s + (0..<32).reduce(0) { $0 + p[$1 * 5 + j] } } / n }
        for j in 0..<5 {
            let sd = truth.cov[j][j].squareRoot()
            // Monte-Carlo error of the mean with τ ≲ 60 steps: sd·√(τ/N).
            #expect(abs(mean[j] - truth.mean[j]) < 5 * sd * (60 / n).squareRoot())
            for k in 0..<5 {
                let c = chain.reduce(0) { s, p in
                    s + (0..<32).reduce(0) { $0 + (p[$1 * 5 + j] - mean[j]) * (p[$1 * 5 + k] - mean[k]) }
                } / n
                #expect(abs(c - truth.cov[j][k]) < 0.1 * (truth.cov[j][j] * truth.cov[k][k]).squareRoot())
            }
        }
        #expect(state.acceptanceFraction > 0.2 && state.acceptanceFraction < 0.7)
    }

    @Test("same seed, same chain")
    func deterministic() throws {
        let x = [Double](repeating: 0.5, count: 8)
        #expect(try run(seed: 3, steps: 1100, x: x).chain == run(seed: 3, steps: 1100, x: x).chain)
    }

    @Test("walkers never leave the prior box, and a walker started outside it is refused")
    func priorSupport() throws {
        let sampler = try EnsembleSampler(dimensions: 1, walkers: 8)
        let box: EnsembleSampler.LogProbability = { p, n in (0..<n).map { p[$0] >= 0 && p[$0] <= 1 ? 0 : -.infinity } }
        var g = Xoshiro256StarStar(seed: 1)
        var state = try sampler.start((0..<8).map { Double($0) / 8 + 0.01 }, logProb: box)
        var all = [Double]()
        for _ in 0..<2000 {
            sampler.step(&state, logProb: box, generator: &g)
            all += state.positions
        }
        #expect(all.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Uniform on [0, 1]: mean 1/2, variance 1/12.
        let mean = all.reduce(0, +) / Double(all.count)
        #expect(abs(mean - 0.5) < 0.02)
        #expect(throws: DigsError.self) { try sampler.start([0.5, 0.5, 0.5, 1.5, 0.5, 0.5, 0.5, 0.5], logProb: box) }
        #expect(throws: DigsError.self) { try EnsembleSampler(dimensions: 5, walkers: 7) }
    }

    @Test("autocorrelation time of AR(1) chains is (1 + φ)/(1 − φ)")
    func ar1() {
        var g = Xoshiro256StarStar(seed: 5)
        for phi in [0.5, 0.9] {
            let chains = (0..<20).map { _ -> [Double] in
                var x = g.nextNormal() / (1 - phi * phi).squareRoot()
                return (0..<5000).map { _ in
                    x = phi * x + g.nextNormal()
                    return x
                }
            }
            let expected = (1 + phi) / (1 - phi)
            #expect(abs(Autocorrelation.integratedTime(chains) / expected - 1) < 0.1)
        }
    }
}
