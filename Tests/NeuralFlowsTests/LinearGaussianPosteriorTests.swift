import Diagnostics
import DigsCore
import Foundation
import NeuralFlows
import Testing

/// The trained flow against a closed-form posterior: x = A·θ + b + N(0, σ²I), θ ∈ ℝ³ under a
/// box prior wide enough that the posterior N((AᵀA)⁻¹Aᵀ(x − b), σ²(AᵀA)⁻¹) is untruncated.
struct LinearGaussianPosteriorTests {
    static let d = 3, c = 10, sigma = 0.7
    static let low = [-3.0, -3, -3], high = [3.0, 3, 3]

    static let (a, b): ([Double], [Double]) = {
        var g = RandomStreams(seed: 77).generator(.testing)
        return ((0..<(c * d)).map { _ in g.nextNormal() }, (0..<c).map { _ in 2 * g.nextNormal() })
    }()

    static func simulate(_ theta: [Double], _ g: inout Xoshiro256StarStar) -> [Float] {
        (0..<c).map { i in Float((0..<d).reduce(b[i]) { $0 + a[i * d + $1] * theta[$1] } + sigma * g.nextNormal()) }
    }

    /// Posterior mean and covariance for x (normal equations, 3 × 3 inverse by cofactors).
    static func posterior(_ x: [Float]) -> (mean: [Double], cov: [Double]) {
        var ata = [Double](repeating: 0, count: 9), aty = [Double](repeating: 0, count: 3)
        for i in 0..<c {
            for j in 0..<d {
                aty[j] += a[i * d + j] * (Double(x[i]) - b[i])
                for k in 0..<d { ata[j * 3 + k] += a[i * d + j] * a[i * d + k] }
            }
        }
        let m = ata
        let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
        let inv = [
            m[4] * m[8] - m[5] * m[7], m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
            m[5] * m[6] - m[3] * m[8], m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
            m[3] * m[7] - m[4] * m[6], m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3],
        ].map { $0 / det }
        let mean = (0..<3).map { j in (0..<3).reduce(0.0) { $0 + inv[j * 3 + $1] * aty[$1] } }
        return (mean, inv.map { $0 * sigma * sigma })
    }

    /// The trained flow matches the closed form for three observations, and passes simulation-
    /// based calibration on 400 fresh (θ, x) draws: KS p > 0.001 per parameter, marginal and
    /// HPD coverage within four binomial σ of nominal at every level.
    @Test func trainedFlowMatchesTheAnalyticPosteriorAndIsCalibrated() throws {
        var g = RandomStreams(seed: 5).generator(.testing)
        let n = 30_000
        var theta = [Double](), x = [Float]()
        for _ in 0..<n {
            let t = (0..<Self.d).map { Self.low[$0] + (Self.high[$0] - Self.low[$0]) * g.nextUniform() }
            theta += t
            x += Self.simulate(t, &g)
        }
        let (data, standardization) = TrainingData.prepare(theta: try NDArray(shape: [n, Self.d], data: theta),
                                                           x: try NDArray(shape: [n, Self.c], data: x), low: Self.low, high: Self.high)
        var settings = TrainingSettings()
        settings.hiddenFeatures = 32
        settings.numTransforms = 5
        settings.learningRate = 2e-3
        settings.maxEpochs = 60
        settings.stopAfterEpochs = 8
        let architecture = MAFArchitecture(features: Self.d, context: Self.c, hidden: 32, transforms: 5)
        let trainer = try FlowTrainer(architecture: architecture, settings: settings, data: data, seed: 11)
        let state = try trainer.train { _, _ in }
        #expect(state.validationLoss.last!.isFinite)
        let flow = try AutoregressiveFlow(network: trainer.network as! MAFNetwork<Float>, standardization: standardization,
                                     parameterNames: ["a", "b", "c"])
        for (k, truth) in [[1.2, -0.7, 0.5], [-1.5, 1.0, 1.4], [0.3, 1.3, -1.1]].enumerated() {
            let xo = Self.simulate(truth, &g)
            let (mean, cov) = Self.posterior(xo)
            var sg = RandomStreams(seed: 9).generator(.posteriorSampling, index: UInt64(k))
            let samples = flow.sample(x: xo[...], count: 4000, generator: &sg).theta
            let sm = (0..<Self.d).map { j in (0..<4000).reduce(0.0) { $0 + samples.data[$1 * Self.d + j] } / 4000 }
            var sc = [Double](repeating: 0, count: 9)
            for r in 0..<4000 {
                for i in 0..<Self.d { for j in 0..<Self.d { sc[i * 3 + j] += (samples.data[r * Self.d + i] - sm[i]) * (samples.data[r * Self.d + j] - sm[j]) / 3999 } }
            }
            for i in 0..<Self.d {
                let sd = cov[i * 3 + i].squareRoot()
                // Means within 0.3 posterior σ, standard deviations within 20 %.
                #expect(abs(sm[i] - mean[i]) < 0.3 * sd, "x\(k) θ\(i): mean \(sm[i]) vs \(mean[i]) (σ \(sd))")
                #expect(abs(sc[i * 3 + i].squareRoot() / sd - 1) < 0.2, "x\(k) θ\(i): σ \(sc[i * 3 + i].squareRoot()) vs \(sd)")
                for j in 0..<i {
                    let r = cov[i * 3 + j] / (sd * cov[j * 3 + j].squareRoot())
                    let rs = sc[i * 3 + j] / (sc[i * 3 + i] * sc[j * 3 + j]).squareRoot()
                    #expect(abs(r - rs) < 0.15, "x\(k) ρ\(i)\(j): \(rs) vs \(r)")
                }
            }
        }
        var calibration = CalibrationAccumulator(names: ["a", "b", "c"], low: Self.low, high: Self.high)
        let tests = 400
        for k in 0..<tests {
            let truth = (0..<Self.d).map { Self.low[$0] + (Self.high[$0] - Self.low[$0]) * g.nextUniform() }
            let xo = Self.simulate(truth, &g)
            var sg = RandomStreams(seed: 9).generator(.posteriorSampling, index: UInt64(100 + k))
            let draw = flow.sample(x: xo[...], count: 200, generator: &sg)
            let truthLogProb = try flow.logProb(theta: NDArray(shape: [1, Self.d], data: truth), x: NDArray(shape: [1, Self.c], data: xo))[0]
            try calibration.add(samples: draw.theta.data, logProb: draw.logProb, truth: truth, truthLogProb: truthLogProb, generator: &sg)
        }
        let result = try calibration.result()
        let tolerance = 4 * (0.25 / Double(tests)).squareRoot()
        #expect(result.ksPValue.allSatisfy { $0 > 0.001 }, "KS p-values \(result.ksPValue)")
        #expect(result.maxCoverageError.allSatisfy { $0 < tolerance }, "coverage errors \(result.maxCoverageError)")
        #expect(result.maxJointCoverageError < tolerance, "joint coverage error \(result.maxJointCoverageError)")
    }
}
