import DigsCore
import ForwardModel
import Foundation
import Testing

/// The flux-calibration polynomial and the emission-line mask against independent truths: the
/// Legendre closed forms, the dense Gaussian likelihood with the full covariance Σ + s²AAᵀ, the
/// χ² distribution of simulated draws, hand-computed pixels and pPXF's centre rule.
@Suite("Observation nuisances (flux calibration, emission-line mask)")
struct ObservationNuisancesTests {
    /// Solves the dense system C y = r by Gaussian elimination with partial pivoting.
    static func denseSolve(_ c: [[Double]], _ r: [Double]) -> [Double] {
        var a = c, b = r
        let n = b.count
        for col in 0..<n {
            let pivot = (col..<n).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            a.swapAt(col, pivot)
            b.swapAt(col, pivot)
            for row in (col + 1)..<n {
                let f = a[row][col] / a[col][col]
                for k in col..<n { a[row][k] -= f * a[col][k] }
                b[row] -= f * b[col]
            }
        }
        var y = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            y[row] = (b[row] - ((row + 1)..<n).reduce(0) { $0 + a[row][$1] * y[$1] }) / a[row][row]
        }
        return y
    }

    @Test func basisIsTheLegendrePolynomialsOfThePixelPosition() {
        let calibration = FluxCalibration(degree: 4, sigmaDex: 0.05)
        for (j, pixels) in [(0, 11), (3, 11), (10, 11), (7, 20)] {
            let u = 2 * Double(j) / Double(pixels - 1) - 1
            let expected = [u, (3 * u * u - 1) / 2, (5 * u * u * u - 3 * u) / 2, (35 * pow(u, 4) - 30 * u * u + 3) / 8]
            let got = calibration.basis(pixel: j, pixels: pixels)
            for k in 0..<4 { #expect(abs(got[k] - expected[k]) < 1e-14, "pixel \(j) of \(pixels), order \(k + 1)") }
        }
    }

    /// A noisy spectrum of 40 pixels with three masked, and a model that differs from it.
    static func observation() -> (NoisySpectrum, [Float]) {
        var g = Xoshiro256StarStar(seed: 11)
        let p = 40
        let sigma = (0..<p).map { _ in Float(0.01 + 0.04 * g.nextUniform()) }
        let model = (0..<p).map { j in Float(-2 + 0.01 * Double(j)) }
        let x = (0..<p).map { j in model[j] + Float(0.1 * sin(Double(j) / 5) + Double(sigma[j]) * g.nextNormal()) }
        var mask = [UInt8](repeating: 1, count: p)
        for j in [0, 17, 39] { mask[j] = 0 }
        return (NoisySpectrum(logFlux: x, sigma: sigma, mask: mask), model)
    }

    @Test func marginalChiSquareIsTheGaussianWithTheFullCovariance() {
        let (observation, model) = Self.observation()
        for (degree, s) in [(1, 0.02), (3, 0.05), (6, 0.3)] {
            let calibration = FluxCalibration(degree: degree, sigmaDex: s)
            let usable = observation.usable, p = observation.pixels
            // C = Σ + s² A Aᵀ over the usable pixels, and rᵀ C⁻¹ r by a dense solve.
            let a = usable.map { calibration.basis(pixel: $0, pixels: p) }
            let c = usable.indices.map { i in
                usable.indices.map { k in
                    (i == k ? pow(Double(observation.sigma[usable[i]]), 2) : 0) + s * s * zip(a[i], a[k]).reduce(0) { $0 + $1.0 * $1.1 }
                }
            }
            let r = usable.map { Double(observation.logFlux[$0]) - Double(model[$0]) }
            let expected = zip(r, Self.denseSolve(c, r)).reduce(0) { $0 + $1.0 * $1.1 }
            let got = calibration.marginal(for: observation).chiSquare(model: model)
            #expect(abs(got - expected) < 1e-9 * expected, "degree \(degree), s \(s): \(got) vs \(expected)")
            #expect(got < observation.chiSquare(model: model))
        }
    }

    @Test func conditionalCoefficientsMinimiseThePenalisedChiSquare() {
        let (observation, model) = Self.observation()
        let calibration = FluxCalibration(degree: 3, sigmaDex: 0.05)
        let marginal = calibration.marginal(for: observation)
        let c = marginal.coefficients(model: model)
        func penalised(_ coefficients: [Double]) -> Double {
            let shifted = (0..<observation.pixels).map { j in
                model[j] + Float(zip(calibration.basis(pixel: j, pixels: observation.pixels), coefficients).reduce(0) { $0 + $1.0 * $1.1 })
            }
            return observation.chiSquare(model: shifted) + coefficients.reduce(0) { $0 + $1 * $1 } / (0.05 * 0.05)
        }
        // χ²_marg = χ²(f + Aĉ) + |ĉ|²/s² (Float rounding of the shifted model: 1e-5 relative).
        let best = penalised(c)
        #expect(abs(best - marginal.chiSquare(model: model)) < 1e-5 * best)
        #expect(abs(observation.chiSquare(model: marginal.calibrated(model: model)) + c.reduce(0) { $0 + $1 * $1 } / 0.0025 - best) < 1e-5 * best)
        for k in 0..<3 {
            for step in [-1e-3, 1e-3] {
                var moved = c
                moved[k] += step
                #expect(penalised(moved) > best, "order \(k + 1), step \(step)")
            }
        }
    }

    @Test func drawsAreDistributedAsTheLikelihoodAssumes() {
        // Noise plus a calibration draw around a fixed model: the marginal χ² of each draw follows
        // χ² with (usable pixels) degrees of freedom: mean n, variance 2n. The plain χ² does not.
        let p = 60, n = 4000
        let calibration = FluxCalibration(degree: 2, sigmaDex: 0.05)
        let noise = NoiseModel.logGaussian(sigmaDex: 0.02)
        let model = [Float](repeating: -2, count: p)
        var g = Xoshiro256StarStar(seed: 3)
        var marginal = [Double](), plain = [Double]()
        for _ in 0..<n {
            var x = model[...], sigma = [Float](), mask = [UInt8]()
            noise.draw(x: &x, sigma: &sigma, mask: &mask, generator: &g)
            calibration.draw(into: &x, generator: &g)
            let observation = NoisySpectrum(logFlux: x, sigma: sigma, mask: mask)
            marginal.append(calibration.marginal(for: observation).chiSquare(model: model))
            plain.append(observation.chiSquare(model: model))
        }
        let mean = marginal.reduce(0, +) / Double(n)
        let variance = marginal.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        // Standard error of the mean √(2p/n) ≈ 0.17; of the variance ≈ 2p·√(8/n)·… ≈ 6 %.
        #expect(abs(mean - Double(p)) < 0.8, "mean \(mean)")
        #expect(abs(variance / Double(2 * p) - 1) < 0.2, "variance \(variance)")
        #expect(plain.reduce(0, +) / Double(n) > Double(p) + 5, "a calibration of 0.05 dex is not noise of 0.02 dex")
    }

    @Test func modelErrorIsNoiseInQuadratureThatTheInflatedSigmaDescribes() throws {
        // Noise 0.01 dex and a model error of 0.02 dex: x scatters by √(0.01² + 0.02²) = 0.02236,
        // and the inflated σ says so; the reported σ stays the noise's.
        let nuisances = ObservationNuisances(modelErrorDex: 0.02).onGrid(wavelength: (0..<50).map { 4000 + 10 * Double($0) })
        let noise = NoiseModel.logGaussian(sigmaDex: 0.01)
        var g = Xoshiro256StarStar(seed: 8)
        var sum = 0.0, sumSquares = 0.0, count = 0.0
        for _ in 0..<2000 {
            var x = [Float](repeating: 0, count: 50)[...], sigma = [Float](), mask = [UInt8]()
            noise.draw(x: &x, sigma: &sigma, mask: &mask, generator: &g)
            nuisances.draw(x: &x, mask: &mask, generator: &g)
            #expect(sigma.allSatisfy { abs($0 - 0.01) < 1e-7 } && mask.allSatisfy { $0 == 1 })
            for v in x { sum += Double(v); sumSquares += Double(v) * Double(v); count += 1 }
        }
        let sd = (sumSquares / count - pow(sum / count, 2)).squareRoot()
        #expect(abs(sd / 0.022360679 - 1) < 0.01, "scatter \(sd)")
        var sigma: [Float] = [0.01, 0.002]
        nuisances.inflate(&sigma)
        #expect(abs(sigma[0] - 0.022360679) < 1e-7 && abs(sigma[1] - 0.020099751) < 1e-7)
        #expect(throws: DigsError.self) { try ObservationNuisances(modelErrorDex: 0).validate() }
    }

    @Test func invalidSettingsAreRefusedWithTheirKey() {
        #expect(throws: DigsError.self) { try FluxCalibration(degree: 0, sigmaDex: 0.05).validate() }
        #expect(throws: DigsError.self) { try FluxCalibration(degree: 2, sigmaDex: 0).validate() }
        #expect(throws: DigsError.self) { try EmissionLineMask(halfWidthKms: -1).validate() }
        #expect(throws: DigsError.self) { try EmissionLineMask(lines: []).validate() }
        do {
            try FluxCalibration(degree: 2, sigmaDex: 2).validate()
        } catch let DigsError.invalidInput(field, problem) {
            #expect(field == "model.observation.flux_calibration.sigma_dex" && problem.contains("is 2"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func lineMaskCoversThePixelsALineCanReach() {
        // sdss.yaml's grid: centres 3762.5 + 25 k Å, edges 3750 + 25 k Å.
        let wavelength = (0..<156).map { 3762.5 + 25 * Double($0) }
        let covered = EmissionLineMask().covered(wavelength: wavelength)
        // Hβ 4861.33 Å ± 800 km/s = 4848.37 … 4874.32 Å: pixels 43 (4825–4850) and 44 (4850–4875).
        #expect(covered[42] == false && covered[43] && covered[44] && covered[45] == false)
        // [N II] 6548.03 … [N II] 6583.41 with Hα: 6530.6 … 6601.0 Å, pixels 111 (6525–6550) … 114 (6600–6625).
        #expect(covered[110] == false && (111...114).allSatisfy { covered[$0] } && covered[115] == false)
        // [O III] 4958.92: 4945.7 … 4972.2 Å, pixels 47 (4925–4950) and 48 (4950–4975); 5006.84: 4993.5 … 5020.2, 49 and 50.
        #expect((47...50).allSatisfy { covered[$0] } && covered[46] == false && covered[51] == false)
        // A line-free stretch (5100–6200 Å): nothing masked.
        #expect(!(54...97).contains { covered[$0] })
    }

    @Test func lineMaskAgreesWithPPXFsCentreRuleOnAFineGrid() {
        // pPXF masks pixel centres inside λ exp(±v/c); on 0.5 Å pixels the overlap rule adds at
        // most one pixel at each end of each window.
        let wavelength = (0..<8000).map { 3600 + 0.5 * Double($0) }
        let mask = EmissionLineMask()
        let covered = mask.covered(wavelength: wavelength)
        let centre = wavelength.map { w in mask.lines.contains { abs(log(w / $0)) < 800 / 299_792.458 } }
        #expect(zip(covered, centre).allSatisfy { $0 || !$1 }, "every pixel pPXF masks is masked")
        let extra = zip(covered, centre).filter { $0 && !$1 }.count
        #expect(extra > 0 && extra <= 2 * mask.lines.count, "\(extra) pixels beyond pPXF's")
    }
}
