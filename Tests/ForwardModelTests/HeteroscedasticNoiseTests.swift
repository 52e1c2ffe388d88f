import DigsCore
import ForwardModel
import Foundation
import Testing

@Suite("Heteroscedastic noise and masks")
struct HeteroscedasticNoiseTests {
    @Test("noise divided by its σ is standard normal; σ follows the flux law; levels span the range; masks at the stated rates")
    func draws() throws {
        let h = HeteroscedasticNoise(sigmaDexMin: 0.01, sigmaDexMax: 0.1, fluxExponent: 0.5, edgeProbability: 0.5,
                                     edgeMaxFraction: 0.2, pixelProbability: 0.02)
        let p = 100
        let clean = (0..<p).map { Float(1 + 0.01 * Double($0)) }  // log10 L rising by 1 dex
        var z = [Double](), levels = [Double](), masked = 0, edgeBlue = 0
        var g = Xoshiro256StarStar(seed: 11)
        for _ in 0..<4000 {
            var x = clean[...], sigma = [Float](), mask = [UInt8]()
            h.draw(x: &x, sigma: &sigma, mask: &mask, generator: &g)
            for j in 0..<p { z.append(Double(x[j] - clean[j]) / Double(sigma[j])) }
            // σ_j · (L_j / L_median)^½ is the row's level at every pixel.
            let median = Double(clean[p / 2])
            let level = (0..<p).map { Double(sigma[$0]) * pow(10, 0.5 * (Double(clean[$0]) - median)) }
            #expect(level.allSatisfy { abs($0 / level[0] - 1) < 1e-5 })
            levels.append(level[0])
            masked += mask.filter { $0 == 0 }.count
            if mask[0] == 0 { edgeBlue += 1 }
        }
        let mean = z.reduce(0, +) / Double(z.count), variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(z.count)
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.01)
        #expect(levels.min()! >= 0.01 && levels.max()! <= 0.1 && levels.min()! < 0.0105 && levels.max()! > 0.095)
        // log-uniform: half the levels below the geometric mean √(0.01 · 0.1).
        let below = Double(levels.filter { $0 < 0.1.squareRoot() * 0.1 }.count) / Double(levels.count)
        #expect(abs(below - 0.5) < 0.03)
        // Pixel 0 is masked when the blue block is drawn with length ≥ 1 (probability 0.5 · 20/21)
        // or by the per-pixel draw (0.02).
        let expectedBlue = 0.5 * 20 / 21 + (1 - 0.5 * 20 / 21) * 0.02
        #expect(abs(Double(edgeBlue) / 4000 - expectedBlue) < 0.03)
        // Expected masked pixels per row: two ends, each 0.5 · mean length 10, plus 2 % of the rest.
        #expect(abs(Double(masked) / 4000 - (10 + 0.02 * 90)) < 0.6)
    }

    @Test("the tilt: log10 of σ_red/σ_blue (flux law removed) is uniform in ±tilt_dex_max")
    func tilt() {
        let h = HeteroscedasticNoise(sigmaDexMin: 0.01, sigmaDexMax: 0.01, fluxExponent: 0.5, tiltDexMax: 0.4)
        let clean = (0..<50).map { Float(2 + 0.02 * Double($0)) }
        var g = Xoshiro256StarStar(seed: 3)
        var tilts = [Double]()
        for _ in 0..<2000 {
            var x = clean[...], sigma = [Float](), mask = [UInt8]()
            h.draw(x: &x, sigma: &sigma, mask: &mask, generator: &g)
            let flux = 0.5 * Double(clean[49] - clean[0])     // the flux law's part of log10(σ_49/σ_0)
            tilts.append(log10(Double(sigma[49]) / Double(sigma[0])) + flux)
        }
        #expect(tilts.min()! >= -0.4 - 1e-5 && tilts.max()! <= 0.4 + 1e-5 && tilts.min()! < -0.39 && tilts.max()! > 0.39)
        let mean = tilts.reduce(0, +) / 2000, variance = tilts.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2000
        #expect(abs(mean) < 0.01 && abs(variance - 0.16 / 3) < 0.004)   // U(−a, a): variance a²/3
    }

    @Test("σ shapes without the flux law do not depend on the spectrum, and are the Legendre shape drawn")
    func ancillaryShape() {
        let h = HeteroscedasticNoise(sigmaDexMin: 0.01, sigmaDexMax: 0.05, fluxExponent: 0, tiltDexMax: 0.4,
                                     shapeDegree: 4, shapeDexMax: 0.3)
        let a = (0..<60).map { Float(2 + 0.02 * Double($0)) }, b = (0..<60).map { Float(-1 + sin(Double($0) / 4)) }
        var coefficients = [[Double]]()
        for seed in 0..<500 {
            var g1 = Xoshiro256StarStar(seed: UInt64(seed)), g2 = g1
            var xa = a[...], xb = b[...], sa = [Float](), sb = [Float](), m = [UInt8]()
            h.draw(x: &xa, sigma: &sa, mask: &m, generator: &g1)
            h.draw(x: &xb, sigma: &sb, mask: &m, generator: &g2)
            #expect(sa == sb, "σ must not depend on the spectrum (seed \(seed))")
            // log10 σ = log10 s + t (u/2) + Σ b_k P_k(u): fit by least squares on {1, P1, …, P4}.
            let rows = (0..<60).map { j in [1.0] + FluxCalibration.legendre(pixel: j, pixels: 60, degree: 4) }
            let y = sa.map { log10(Double($0)) }
            var normal = [[Double]](repeating: [Double](repeating: 0, count: 5), count: 5), rhs = [Double](repeating: 0, count: 5)
            for (r, v) in zip(rows, y) { for i in 0..<5 { rhs[i] += r[i] * v; for k in 0..<5 { normal[i][k] += r[i] * r[k] } } }
            let c = ObservationNuisancesTests.denseSolve(normal, rhs)
            let fitted = rows.map { zip($0, c).reduce(0) { $0 + $1.0 * $1.1 } }
            #expect(zip(fitted, y).allSatisfy { abs($0 - $1) < 1e-5 }, "log σ lies in the span of P0…P4")
            coefficients.append(c)
        }
        for k in 2...4 {
            let v = coefficients.map { $0[k] }
            #expect(v.min()! >= -0.3 - 1e-5 && v.max()! <= 0.3 + 1e-5 && v.max()! > 0.28 && v.min()! < -0.28, "P\(k)")
        }
        // The tilt enters as t(u/2) = (t/2) P1: uniform in ±0.2.
        let p1 = coefficients.map { $0[1] }
        #expect(p1.max()! <= 0.2 + 1e-5 && p1.max()! > 0.19)
    }

    @Test("a pipeline's heteroscedastic noise block decodes and encodes back")
    func coding() throws {
        let json = #"{"model":"heteroscedastic","sigma_dex_min":0.01,"sigma_dex_max":0.05,"mask_edge_probability":0.3,"mask_edge_max_fraction":0.1}"#
        let noise = try JSONDecoder().decode(NoiseModel.self, from: Data(json.utf8))
        guard case let .heteroscedastic(h) = noise else { Issue.record("decoded \(noise)"); return }
        #expect(h.fluxExponent == 0.5 && h.pixelProbability == 0 && h.edgeMaxFraction == 0.1)
        let back = try JSONDecoder().decode(NoiseModel.self, from: try JSONEncoder().encode(noise))
        #expect(back == noise)
        #expect(throws: DigsError.self) { try NoiseModel.heteroscedastic(HeteroscedasticNoise(sigmaDexMin: 0.1, sigmaDexMax: 0.01)).validate(pixels: 3) }
    }
}
