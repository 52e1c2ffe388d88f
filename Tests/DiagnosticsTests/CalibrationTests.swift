import DigsCore
import Foundation
import Testing
import Diagnostics

/// The conjugate model θ ~ N(0, 1) per parameter, x = θ + N(0, s²): the exact posterior is
/// N(x/(1+s²), s²/(1+s²)). Estimators with the right, a too-small and a too-large width, and
/// the prior itself, show whether the checks detect miscalibration in the right direction.
@Suite("Calibration checks detect miscalibration")
struct CalibrationTests {
    static let galaxies = 1000, samples = 200, d = 2, noise = 0.5

    /// Runs the checks on an estimator N(mean·x, (widthFactor·σ_post)²), or on the prior when `prior`.
    func calibrate(widthFactor: Double, prior: Bool = false) throws -> CalibrationAccumulator.Result {
        var g = Xoshiro256StarStar(seed: 42)
        let s2 = Self.noise * Self.noise
        let postSD = (s2 / (1 + s2)).squareRoot() * widthFactor
        var acc = CalibrationAccumulator(names: ["a", "b"], low: [-4, -4], high: [4, 4])
        for _ in 0..<Self.galaxies {
            let truth = (0..<Self.d).map { _ in g.nextNormal() }
            let x = truth.map { $0 + Self.noise * g.nextNormal() }
            let mean = prior ? [0.0, 0] : x.map { $0 / (1 + s2) }
            let sd = prior ? 1.0 : postSD
            func logDensity(_ v: ArraySlice<Double>) -> Double {
                zip(v, mean).reduce(0) { $0 - ($1.0 - $1.1) * ($1.0 - $1.1) / (2 * sd * sd) - log(sd * (2 * Double.pi).squareRoot()) }
            }
            var samples = [Double]()
            for _ in 0..<Self.samples { for j in 0..<Self.d { samples.append(mean[j] + sd * g.nextNormal()) } }
            let lq = (0..<Self.samples).map { logDensity(samples[($0 * Self.d)..<(($0 + 1) * Self.d)]) }
            try acc.add(samples: samples, logProb: lq, truth: truth, truthLogProb: logDensity(truth[...]), generator: &g)
        }
        return try acc.result()
    }

    /// Four binomial σ of a coverage fraction at level 0.5.
    var tolerance: Double { 4 * (0.25 / Double(Self.galaxies)).squareRoot() }

    @Test("the exact posterior passes every check")
    func exact() throws {
        let r = try calibrate(widthFactor: 1)
        #expect(r.ksPValue.allSatisfy { $0 > 0.001 })
        #expect(r.chi2PValue.allSatisfy { $0 > 0.001 })
        #expect(r.maxCoverageError.allSatisfy { $0 < tolerance })
        #expect(r.maxJointCoverageError < tolerance)
        #expect(r.maxTarpError < tolerance)
        #expect(r.accuracy.allSatisfy { abs($0.chiStd - 1) < 0.1 && abs($0.chiMean) < 0.1 })
    }

    @Test("posterior = prior is calibrated too (but not accurate)")
    func priorEstimator() throws {
        let r = try calibrate(widthFactor: 1, prior: true)
        #expect(r.ksPValue.allSatisfy { $0 > 0.001 })
        #expect(r.maxCoverageError.allSatisfy { $0 < tolerance })
        #expect(r.maxJointCoverageError < tolerance)
        #expect(r.accuracy.allSatisfy { $0.pearsonR.magnitude < 0.15 })
    }

    @Test("too narrow: coverage below nominal, ranks pile at the ends, χ spread > 1")
    func narrow() throws {
        let r = try calibrate(widthFactor: 0.5)
        #expect(r.ksPValue.allSatisfy { $0 < 1e-6 })
        let level68 = CalibrationAccumulator.defaultLevels.firstIndex { abs($0 - 0.7) < 1e-9 }!
        #expect(r.coverageMarginal[level68].allSatisfy { $0 < 0.7 - 0.15 })
        #expect(r.coverageJoint[level68] < 0.7 - 0.15)
        #expect(r.accuracy.allSatisfy { $0.chiStd > 1.5 })
    }

    @Test("too wide: coverage above nominal, χ spread < 1")
    func wide() throws {
        let r = try calibrate(widthFactor: 2)
        #expect(r.ksPValue.allSatisfy { $0 < 1e-6 })
        let level50 = CalibrationAccumulator.defaultLevels.firstIndex { abs($0 - 0.5) < 1e-9 }!
        #expect(r.coverageMarginal[level50].allSatisfy { $0 > 0.5 + 0.15 })
        #expect(r.coverageJoint[level50] > 0.5 + 0.15)
        #expect(r.accuracy.allSatisfy { $0.chiStd < 0.7 })
    }

    /// NLTP of N(μ_post, (f σ_post)²) for truths from the exact posterior, in closed form:
    /// E[−log q(θ)] = D (log(f σ_post √(2π)) + 1/(2 f²)); the exact posterior (f = 1) has the lowest.
    @Test("NLTP matches its closed form and is lowest for the exact posterior", arguments: [1.0, 0.5, 2.0])
    func nltp(widthFactor f: Double) throws {
        let r = try calibrate(widthFactor: f)
        let s2 = Self.noise * Self.noise, sigma = (s2 / (1 + s2)).squareRoot()
        let expected = Double(Self.d) * (log(f * sigma * (2 * Double.pi).squareRoot()) + 1 / (2 * f * f))
        #expect(abs(r.nltp - expected) < 0.1 * max(1, 1 / (f * f)), "NLTP \(r.nltp), closed form \(expected)")
        if f != 1 { #expect(r.nltp > (try calibrate(widthFactor: 1)).nltp + 0.2) }
    }

    @Test("inconsistent input is refused")
    func badInput() {
        var acc = CalibrationAccumulator(names: ["a"], low: [0], high: [1])
        var g = Xoshiro256StarStar(seed: 1)
        #expect(throws: DigsError.self) { try acc.add(samples: [], logProb: [], truth: [0.5], truthLogProb: 0, generator: &g) }
        #expect(throws: DigsError.self) { try acc.result() }
    }
}
