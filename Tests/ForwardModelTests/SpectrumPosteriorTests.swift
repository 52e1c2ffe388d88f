import DigsCore
import ForwardModel
import Foundation
import Testing

/// The exact posterior against its definition, log p(θ) − χ²/2, with the prior density and the
/// model spectra computed independently (the prior's closed form, `simulate`).
@Suite("Spectrum posterior (prior × likelihood)")
struct SpectrumPosteriorTests {
    /// The paper's box with a log-uniform prior on the age.
    static func prior() throws -> PriorSet {
        var entries = PriorSet.paper.entries
        entries[1] = PriorSet.Entry(parameter: .tAge, prior: try Prior(.logUniform, low: 0.01, high: 4))
        return try PriorSet(entries)
    }

    @Test func logDensityIsLogPriorMinusHalfChiSquare() throws {
        let simulator = try SpectrumSimulator(library: SpectrumSimulatorTests.library(), settings: SpectrumSimulatorTests.settings())
        let prior = try Self.prior()
        let truth = [10.0, 1.0, 0.2, -0.5, 0.4]
        let clean = simulator.simulate(try NDArray(shape: [1, 5], data: truth), threads: 1).logFlux.data
        let p = clean.count
        var g = Xoshiro256StarStar(seed: 5)
        let sigma = (0..<p).map { _ in Float(0.01 + 0.02 * g.nextUniform()) }
        let x = zip(clean, sigma).map { $0 + $1 * Float(g.nextNormal()) }
        var mask = [UInt8](repeating: 1, count: p)
        mask[3] = 0
        mask[p - 1] = 0
        let posterior = SpectrumPosterior(prior: prior, simulator: simulator,
                                          observation: NoisySpectrum(logFlux: x, sigma: sigma, mask: mask))
        let points = [truth, [10.2, 0.5, -0.3, -1.0, 0.8], [12.5, 3.9, 0.9, 0.1, 0.15]]
        let got = posterior.logDensity(points.flatMap { $0 }, count: points.count)
        for (k, theta) in points.enumerated() {
            let model = simulator.simulate(try NDArray(shape: [1, 5], data: theta), threads: 1).logFlux.data
            var chi2 = 0.0
            for j in 0..<p where mask[j] == 1 { chi2 += pow((Double(x[j]) - Double(model[j])) / Double(sigma[j]), 2) }
            // Uniform priors: −log(width); log-uniform t_age: −log t − log log(high/low).
            let logPrior = -log(5.0) - log(theta[1]) - log(log(400.0)) - log(2.0) - log(2.2) - log(0.9)
            #expect(abs(got[k] - (logPrior - chi2 / 2)) < 1e-9 * max(1, chi2), "point \(k)")
        }
    }

    /// log_mass adds to every log-flux pixel, so along it the log posterior is exactly the
    /// Gaussian massConditional gives: at μ + kσ it lies k²/2 below its value at μ — with and
    /// without a marginalised calibration polynomial.
    @Test func massConditionalIsTheExactConditional() throws {
        let simulator = try SpectrumSimulator(library: SpectrumSimulatorTests.library(), settings: SpectrumSimulatorTests.settings())
        let truth = [10.0, 1.0, 0.2, -0.5, 0.4]
        let clean = simulator.simulate(try NDArray(shape: [1, 5], data: truth), threads: 1).logFlux.data
        var g = Xoshiro256StarStar(seed: 6)
        let sigma = clean.map { _ in Float(0.01 + 0.02 * g.nextUniform()) }
        let x = zip(clean, sigma).map { $0 + $1 * Float(g.nextNormal()) }
        let observation = NoisySpectrum(logFlux: x, sigma: sigma, mask: [UInt8](repeating: 1, count: x.count))
        for calibration in [nil, FluxCalibration(degree: 3, sigmaDex: 0.1)] {
            let posterior = SpectrumPosterior(prior: .paper, simulator: simulator, observation: observation, fluxCalibration: calibration)
            let others = [9.0, 0.8, 0.1, -0.3, 0.5]  // log_mass 9: any value gives the same conditional
            let model = simulator.simulate(try NDArray(shape: [1, 5], data: others), threads: 1).logFlux.data
            let c = try #require(posterior.massConditional(model: model, logMass: others[0]))
            let ks = [-2.0, -1, 0, 1, 2]
            let rows = ks.flatMap { k -> [Double] in var r = others; r[0] = c.mean + k * c.sd; return r }
            let values = posterior.logDensity(rows, count: ks.count)
            for (i, k) in ks.enumerated() {
                #expect(abs(values[i] - values[2] + k * k / 2) < 1e-3, "k = \(k): \(values[i] - values[2])")
            }
            // The conditional's sd: 1/√(Σ 1/σ²) without calibration (a constant shift of every pixel).
            if calibration == nil {
                let expected = 1 / sigma.reduce(0.0) { $0 + 1 / Double($1 * $1) }.squareRoot()
                #expect(abs(c.sd / expected - 1) < 1e-4)
            }
        }
    }

    @Test func outsideTheSupportIsMinusInfinityAndMaskedPixelsDoNotCount() throws {
        let simulator = try SpectrumSimulator(library: SpectrumSimulatorTests.library(), settings: SpectrumSimulatorTests.settings())
        let p = simulator.simulate(try NDArray(shape: [1, 5], data: [10, 1, 0, -0.5, 0.4]), threads: 1).logFlux.data.count
        var mask = [UInt8](repeating: 1, count: p)
        mask[0] = 0
        let x = [Float](repeating: -3, count: p), sigma = [Float](repeating: 0.05, count: p)
        var changed = x
        changed[0] = 1e6
        let a = SpectrumPosterior(prior: try Self.prior(), simulator: simulator, observation: NoisySpectrum(logFlux: x, sigma: sigma, mask: mask))
        let b = SpectrumPosterior(prior: try Self.prior(), simulator: simulator, observation: NoisySpectrum(logFlux: changed, sigma: sigma, mask: mask))
        let points = [10.0, 1, 0, -0.5, 0.4, 13.5, 1, 0, -0.5, 0.4, 10, 1, 0, -0.5, .nan]
        let la = a.logDensity(points, count: 3), lb = b.logDensity(points, count: 3)
        #expect(la[0].isFinite && la[0] == lb[0])
        #expect(la[1] == -.infinity && la[2] == -.infinity)
    }

    @Test func sameBoxIsRequired() throws {
        let prior = PriorSet.paper
        try prior.requireSameBox(names: prior.names, low: [8, 0.01, -1, -2, 0.1], high: [13, 4, 1, 0.2, 1], of: "a flow")
        #expect(throws: DigsError.self) {
            try prior.requireSameBox(names: prior.names, low: [8, 0.01, -1, -2, 0.1], high: [13, 12, 1, 0.2, 1], of: "a flow")
        }
        #expect(throws: DigsError.self) {
            try prior.requireSameBox(names: ["t_age"] + prior.names.dropFirst(), low: [8, 0.01, -1, -2, 0.1], high: [13, 4, 1, 0.2, 1], of: "a flow")
        }
    }
}
