import DigsCore
import ForwardModel
import Foundation
import SpectralSynthesis
import Testing

/// The simulator on a synthetic SSP library with analytic spectra, where the expected
/// output is known in closed form.
struct SpectrumSimulatorTests {
    static let metallicities = [0.02, 0.2, 1.0, 2.5]
    static let ages = [0.0, 1e5] + (0..<205).map { pow(10, 5.2 + 0.025 * Double($0)) }
    static let wavelengths = stride(from: 900.0, through: 25000, by: 2).map { $0 }

    /// f(Z, age, λ) = A(Z)·g(age)·(λ/5000)^−1.5 L☉ Å⁻¹ M☉⁻¹, living fraction 0.6 everywhere.
    static func library(amplitude: (Int) -> Double = { 1 + Double($0) }) throws -> SSPLibrary {
        var flux: [Float] = []
        for z in metallicities.indices {
            for a in ages {
                let g = 1e-3 / (1 + a / 1e8)
                for w in wavelengths { flux.append(Float(amplitude(z) * g * pow(w / 5000, -1.5))) }
            }
        }
        return try SSPLibrary(
            wavelength: wavelengths, medium: "air", age: ages, metallicity: metallicities, solarMetallicity: 0.02,
            flux: NDArray(shape: [metallicities.count, ages.count, wavelengths.count], data: flux),
            livingMassFraction: NDArray(repeating: 0.6, shape: [metallicities.count, ages.count]),
            nebular: nil, source: "synthetic", sourceDigest: "none", imf: "none")
    }

    static func settings(dust: DustLaw = .calzetti) -> ModelSettings {
        var s = ModelSettings.paper
        s.nebular.enabled = false
        s.dust = dust
        return s
    }

    func theta(_ rows: [[Double]]) throws -> NDArray<Double> {
        try NDArray(shape: [rows.count, 5], data: rows.flatMap { $0 })
    }

    @Test func massShiftsTheSpectrumByItsLogarithm() throws {
        let sim = try SpectrumSimulator(library: Self.library(), settings: Self.settings())
        let out = sim.simulate(try theta([[9, 1, 0, -0.3, 0.5], [11.5, 1, 0, -0.3, 0.5]])).logFlux
        for j in 0..<138 { #expect(abs(out.data[138 + j] - out.data[j] - 2.5) < 1e-5) }
    }

    @Test func metallicityInterpolatesLinearlyInLogZ() throws {
        let sim = try SpectrumSimulator(library: Self.library(), settings: Self.settings())
        let z0 = log10(0.2), z1 = 0.0
        let out = sim.simulate(try theta([[10, 2, 0, z0, 0.3], [10, 2, 0, z1, 0.3], [10, 2, 0, 0.25 * z0 + 0.75 * z1, 0.3]])).logFlux
        for j in 0..<138 {
            let f0 = pow(10, Double(out.data[j])), f1 = pow(10, Double(out.data[138 + j]))
            // Amplitudes 2 and 3 at the grid points: the ratio is exact at grid metallicities.
            #expect(abs(f1 / f0 - 1.5) < 1e-5)
            #expect(abs(pow(10, Double(out.data[276 + j])) / (0.25 * f0 + 0.75 * f1) - 1) < 1e-5)
        }
    }

    @Test func dustAttenuatesByTheLawAtEachPixel() throws {
        let law = DustLaw.powerLaw(index: -0.7)
        let sim = try SpectrumSimulator(library: Self.library(), settings: Self.settings(dust: law))
        let out = sim.simulate(try theta([[10, 1, 0, 0, 0.1], [10, 1, 0, 0, 1.0]])).logFlux
        for (j, w) in sim.wavelength.enumerated() {
            let expected = -0.4 * 1.086 * 0.9 * law.relativeAttenuation(wavelength: w)
            // The pixel-averaged attenuation of a smooth SED differs from the centre value by O(1e-4) dex.
            #expect(abs(Double(out.data[138 + j] - out.data[j]) - expected) < 2e-4)
        }
    }

    @Test func derivedQuantitiesFollowTheSFH() throws {
        let sim = try SpectrumSimulator(library: Self.library(), settings: Self.settings())
        let d = sim.simulate(try theta([[10.3, 3, -0.5, -1, 0.2]])).derived
        #expect(abs(d.logLivingMass[0] - (10.3 + log10(0.6))) < 1e-12)
        let sfh = DelayedTauSFH(age: 3e9, tau: pow(10, -0.5) * 1e9)
        #expect(abs(d["sfr_weighted_age"]![0] - sfh.sfrWeightedAge / 1e9) < 1e-12)
        // With a constant living fraction, the mass-weighted age is the SFR-weighted age
        // evaluated at the 0.1-dex bin centres (bins of ±12 % in age).
        #expect(abs(d.massWeightedAge[0] / d["sfr_weighted_age"]![0] - 1) < 0.03)
        // SFR over 100 Myr: the closed-form mass formed since t_age − 0.1 Gyr, (1 − P₂(x₁)/P₂(x)) M / 10⁸ yr;
        // sSFR per surviving mass; t50, t90 solve P₂(t/τ) = q P₂(t_age/τ) (checked by bisection here).
        let (x, tau) = (3e9 / sfh.tau, sfh.tau)
        let recent = 1 - DelayedTauSFH.p2((3e9 - 1e8) / tau) / DelayedTauSFH.p2(x)
        #expect(abs(d["log_sfr_100"]![0] - (10.3 + log10(recent / 1e8))) < 1e-12)
        #expect(abs(d["log_ssfr_100"]![0] - (d["log_sfr_100"]![0] - d.logLivingMass[0])) < 1e-12)
        for (name, q) in [("t50", 0.5), ("t90", 0.9)] {
            var (lo, hi) = (0.0, x)
            for _ in 0..<200 { let m = (lo + hi) / 2; if DelayedTauSFH.p2(m) < q * DelayedTauSFH.p2(x) { lo = m } else { hi = m } }
            #expect(abs(d[name]![0] - (3e9 - lo * tau) / 1e9) < 1e-9, "\(name): \(d[name]![0])")
        }
    }

    @Test func resultsDoNotDependOnThreadCount() throws {
        let sim = try SpectrumSimulator(library: Self.library(), settings: Self.settings())
        let t = PriorSet.paper.sample(rows: 0..<700, streams: RandomStreams(seed: 3))
        #expect(sim.simulate(t, threads: 1).logFlux.data == sim.simulate(t, threads: 2).logFlux.data)
    }

    @Test func aLibraryThatDoesNotCoverThePixelsIsRefused() throws {
        var s = Self.settings()
        s.instrument.wavelengthStart = 24_000
        #expect(throws: DigsError.self) { try SpectrumSimulator(library: Self.library(), settings: s) }
    }

    @Test func nebularEmissionNeedsNebularGrids() throws {
        var s = Self.settings()
        s.nebular.enabled = true
        #expect(throws: DigsError.self) { try SpectrumSimulator(library: Self.library(), settings: s) }
    }
}
