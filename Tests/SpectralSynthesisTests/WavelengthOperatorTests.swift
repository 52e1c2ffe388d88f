import Foundation
import SpectralSynthesis
import Testing

/// Smoothing, rebinning and the instrument response conserve flux and have the right widths.
struct WavelengthOperatorTests {
    @Test(arguments: [100.0, 350.0, 1000.0])
    func smoothingWidensADeltaToSigmaAndConservesFlux(_ sigma: Double) {
        let step = log(1.0005), n = 801
        var delta = [Double](repeating: 0, count: n)
        delta[400] = 1
        let out = VelocitySmoothing.map(count: n, sigmaKms: sigma, logStep: step).apply(delta)
        #expect(abs(out.reduce(0, +) - 1) < 1e-12)
        var variance = 0.0
        for (i, w) in out.enumerated() { variance += w * pow(Double(i - 400) * step, 2) }
        let expected = sigma / VelocitySmoothing.speedOfLight
        #expect(abs(variance.squareRoot() / expected - 1) < 0.01)
    }

    @Test func piecewiseConstantRebinningConservesFlux() {
        let inEdges: [Double] = (0...300).map { (i: Int) -> Double in
            let d = Double(i)
            return 1000 + 3.7 * d + 0.01 * d * d
        }
        let values: [Double] = (0..<300).map { (i: Int) -> Double in 1 + sin(Double(i) / 7) }
        let outEdges = stride(from: 1010.0, through: 1900, by: 50).map { $0 }
        let out = Rebinning.averagingPiecewiseConstant(inputEdges: inEdges, onto: outEdges).apply(values)
        // ∫ over the output span, from the input bins (partial bins by overlap).
        var expected = 0.0
        for i in 0..<300 {
            let overlap = min(inEdges[i + 1], outEdges.last!) - max(inEdges[i], outEdges.first!)
            if overlap > 0 { expected += values[i] * overlap }
        }
        var total = 0.0
        for j in out.indices { total += out[j] * (outEdges[j + 1] - outEdges[j]) }
        #expect(abs(total - expected) / expected < 1e-12)
    }

    @Test func instrumentResponseKeepsAFlatSpectrumFlatAndConservesLineFlux() throws {
        let settings = InstrumentSettings.paper
        let ssp = stride(from: 2000.0, through: 12000, by: 1).map { $0 }
        let response = try InstrumentResponse(settings: settings, sspWavelengths: ssp, source: "test grid")
        let flat = response.toPixels.apply(response.toInternal.apply([Double](repeating: 2.5, count: ssp.count)))
        #expect(flat.allSatisfy { abs($0 - 2.5) < 1e-12 })
        let x = response.internalWavelength
        #expect(abs(x[1] / x[0] - 1.0005) < 1e-12)
        var line = [Double](repeating: 0, count: x.count)
        response.addLine(wavelength: 6562.8, luminosity: 7, to: &line)
        let pixels = response.toPixels.apply(line)
        // Luminosity is conserved: Σ L_λ·Δλ over pixels = 7 L☉. Broadening with a unit-sum
        // kernel on the ln λ grid conserves Σ L_λ, not Σ L_λ·Δλ_i (pixel widths grow 0.05 % a
        // pixel), which leaves a relative error of ~1e-6.
        #expect(abs(pixels.reduce(0, +) * settings.wavelengthStep - 7) < 7e-5)
        #expect(pixels.firstIndex(of: pixels.max()!) == settings.pixelCentres.firstIndex(of: 6560))
    }

    @Test func gridThatDoesNotCoverThePixelsIsAnError() {
        let ssp = stride(from: 3500.0, through: 12000, by: 1).map { $0 }
        #expect(throws: (any Error).self) {
            try InstrumentResponse(settings: .paper, sspWavelengths: ssp, source: "short grid")
        }
    }

    @Test func ageBinsAverageTheLibraryAgesWithUnitWeights() {
        let ages = [0.0, 1e5] + (0..<200).map { pow(10, 5.2 + 0.025 * Double($0)) }
        let map = AgeBins.standard.averaging(libraryAges: ages)
        #expect(map.outputCount == 42)
        for r in 0..<map.outputCount {
            let s = map.weights[map.rowStarts[r]..<map.rowStarts[r + 1]].reduce(0, +)
            #expect(abs(s - 1) < 1e-12)
        }
        #expect(AgeBins.standard.edges.first == 0)
        #expect(abs(AgeBins.standard.edges[1] - pow(10, 6.05)) < 1e-3)
    }
}
