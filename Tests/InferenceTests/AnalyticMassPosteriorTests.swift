import DigsCore
import ForwardModel
import Foundation
import NeuralFlows
import Inference
import SpectralSynthesis
import Testing

/// The flow completed by log_mass's exact conditional against closed forms: its density
/// normalised along log_mass, its draws distributed as that density says, and the importance
/// weight p(θ | x)/q(θ | x) independent of log_mass (the completion is exact).
@Suite("Analytic-mass posterior (flow × exact log_mass conditional)")
struct AnalyticMassPosteriorTests {
    /// A stand-in flow over the four other parameters: uniform on a small box around the
    /// truth, so q(others | x) = 1/volume in closed form and every model is close to the data
    /// (float32 rounding of a far model's χ² would blur the comparisons).
    final class UniformFlow: PosteriorFlow, @unchecked Sendable {
        let family = "uniform"
        let parameterNames = ["t_age", "log_tau", "log_z", "dust2"]
        let contextLayout = ContextLayout.flux
        let priorLow = [1.1, 0.0, -0.5, 0.45], priorHigh = [1.3, 0.2, -0.3, 0.55]
        var logVolume: Double { zip(priorLow, priorHigh).reduce(0) { $0 - log($1.1 - $1.0) } }

        func logProb(theta: NDArray<Double>, x: NDArray<Float>) throws -> [Double] {
            (0..<theta.shape[0]).map { r in
                zip(theta.row(r), zip(priorLow, priorHigh)).allSatisfy { $0 > $1.0 && $0 < $1.1 } ? logVolume : -.infinity
            }
        }

        func sample(x: ArraySlice<Float>, count: Int, generator g: inout Xoshiro256StarStar) -> (theta: NDArray<Double>, logProb: [Double]) {
            let rows = (0..<count).flatMap { _ in zip(priorLow, priorHigh).map { $0 + ($1 - $0) * g.nextUniform() } }
            return (try! NDArray(shape: [count, 4], data: rows), [Double](repeating: logVolume, count: count))
        }
    }

    /// A synthetic SSP grid (power laws whose amplitude grows with metallicity and falls with age).
    static func simulator() throws -> SpectrumSimulator {
        let ages = [1e6, 1e7, 1e8, 1e9, 1e10], metallicities = [0.001, 0.004, 0.02, 0.05]
        let wavelengths = stride(from: 900.0, through: 25000, by: 50).map { $0 }
        var flux: [Float] = []
        for z in metallicities.indices {
            for a in ages {
                for w in wavelengths { flux.append(Float((1 + Double(z)) * 1e-3 / (1 + a / 1e8) * pow(w / 5000, -1.5 + 0.1 * Double(z)))) }
            }
        }
        let library = try SSPLibrary(
            wavelength: wavelengths, medium: "air", age: ages, metallicity: metallicities, solarMetallicity: 0.02,
            flux: NDArray(shape: [metallicities.count, ages.count, wavelengths.count], data: flux),
            livingMassFraction: NDArray(repeating: 0.6, shape: [metallicities.count, ages.count]),
            nebular: nil, source: "synthetic", sourceDigest: "none", imf: "none")
        var settings = ModelSettings.paper
        settings.nebular.enabled = false
        return try SpectrumSimulator(library: library, settings: settings)
    }

    /// An observation of θ = truth with 2 % noise, and the completed posterior for it.
    static func posterior(truth: [Double] = [10.3, 1.2, 0.1, -0.4, 0.5]) throws -> AnalyticMassPosterior {
        let simulator = try Self.simulator()
        let clean = simulator.simulate(try NDArray(shape: [1, 5], data: truth), threads: 1).logFlux.data
        var g = Xoshiro256StarStar(seed: 11)
        let sigma = [Float](repeating: 0.0086, count: clean.count)
        let x = zip(clean, sigma).map { $0 + $1 * Float(g.nextNormal()) }
        let exact = SpectrumPosterior(prior: .paper, simulator: simulator,
                                      observation: NoisySpectrum(logFlux: x, sigma: sigma, mask: [UInt8](repeating: 1, count: x.count)))
        let box = PriorSet.paper.entries
        return AnalyticMassPosterior(flow: UniformFlow(), context: [], exact: exact, massIndex: 0,
                                     low: box.map(\.prior.low), high: box.map(\.prior.high))
    }

    @Test func drawsCarryTheirOwnDensityAndSpectra() throws {
        let q = try Self.posterior()
        var g = Xoshiro256StarStar(seed: 3)
        let drawn = q.sample(count: 64, generator: &g)
        let again = q.logProb(drawn.theta, count: 64)
        let simulated = q.exact.simulator.simulate(try NDArray(shape: [64, 5], data: drawn.theta), threads: 1).logFlux.data
        let spectra = try #require(drawn.spectra)
        for r in 0..<64 {
            // The conditional from the model at the middle mass or at the drawn one: the same up
            // to float32 rounding of the model (~10⁻⁷ dex, here 10⁻⁴ sd of log_mass).
            #expect(abs(drawn.logProb[r] - again[r]) < 1e-3, "draw \(r): \(drawn.logProb[r]) vs \(again[r])")
            #expect(drawn.theta[r * 5] > 8 && drawn.theta[r * 5] < 13)
        }
        // The spectrum shifted to the drawn mass is the one simulated there (float32 rounding).
        #expect(zip(spectra, simulated).map { abs($0 - $1) }.max()! < 2e-5)
    }

    /// ∫ q(m, others) dm = q(others) = 1/volume, by the trapezoid rule on a grid of ±8 sd.
    @Test func densityIsNormalisedAlongLogMass() throws {
        let q = try Self.posterior()
        let others = [1.15, 0.18, -0.35, 0.47]
        let probe = [10.0] + others
        let spectrum = q.exact.simulator.simulate(try NDArray(shape: [1, 5], data: probe), threads: 1).logFlux.data
        let c = try #require(q.exact.massConditional(model: spectrum, logMass: 10))
        let n = 801, step = 16 * c.sd / Double(n - 1)
        let masses = (0..<n).map { c.mean - 8 * c.sd + Double($0) * step }
        let logq = q.logProb(masses.flatMap { [$0] + others }, count: n)
        let integral = (0..<(n - 1)).reduce(0.0) { $0 + 0.5 * (exp(logq[$1]) + exp(logq[$1 + 1])) * step }
        #expect(abs(integral / exp(UniformFlow().logVolume) - 1) < 1e-3, "∫ q dm = \(integral)")
    }

    /// At fixed other parameters, the draws' log_mass has the conditional's mean and sd, and the
    /// importance weight p(θ | x)/q(θ | x) does not depend on it.
    @Test func massDrawsFollowTheExactConditionalAndWeightsIgnoreThem() throws {
        let q = try Self.posterior()
        var g = Xoshiro256StarStar(seed: 8)
        let drawn = q.sample(count: 4000, generator: &g)
        // Weights against the exact posterior: log p(θ | x) − log q, one value per draw; for each
        // draw, moving its log_mass by ±1 conditional sd changes log p and log q alike.
        let target = q.exact.logDensity(drawn.theta, count: 200)
        for r in 0..<200 {
            let row = Array(drawn.theta[(r * 5)..<((r + 1) * 5)])
            let spectrum = q.exact.simulator.simulate(try NDArray(shape: [1, 5], data: row), threads: 1).logFlux.data
            let c = try #require(q.exact.massConditional(model: spectrum, logMass: row[0]))
            let moved = [-1.0, 1].flatMap { k -> [Double] in var m = row; m[0] += k * c.sd; return m }
            let (pm, qm) = (q.exact.logDensity(moved, count: 2), q.logProb(moved, count: 2))
            let w = target[r] - drawn.logProb[r]
            for k in 0..<2 { #expect(abs((pm[k] - qm[k]) - w) < 1e-3, "draw \(r): log w \(w) vs \(pm[k] - qm[k])") }
        }
        // Standardised by each draw's own conditional, the masses are N(0, 1) (the box's ends
        // lie thousands of sd away).
        var z = [Double]()
        let spectra = try #require(drawn.spectra), p = spectra.count / 4000
        for r in 0..<4000 {
            let row = Array(drawn.theta[(r * 5)..<((r + 1) * 5)])
            let c = try #require(q.exact.massConditional(model: spectra[(r * p)..<((r + 1) * p)], logMass: row[0]))
            #expect(c.mean - 8 > 100 * c.sd && 13 - c.mean > 100 * c.sd)
            z.append((row[0] - c.mean) / c.sd)
        }
        let mean = z.reduce(0, +) / 4000, variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3999
        #expect(abs(mean) < 0.06, "mean \(mean)")          // 3.8 standard errors
        #expect(abs(variance - 1) < 0.09, "variance \(variance)")
    }
}
