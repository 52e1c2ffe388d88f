import Foundation
import SpectralSynthesis
import Testing

/// Smoothing, rebinning and the instrument response conserve flux and have the right widths.
struct WavelengthOperatorTests {
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

    /// A spectrum with structure on every scale: a smooth continuum, a break, narrow
    /// absorption lines, sampled every `step` Å.
    static func structuredSpectrum(step: Double) -> (wavelength: [Double], flux: [Double]) {
        let w = stride(from: 2000.0, through: 12000, by: step).map { $0 }
        let f = w.map { x -> Double in
            var v = 1 + 0.3 * sin(x / 170) + (x > 4000 ? 0.8 : 0)
            for c in [3934.0, 4861, 5175, 6563, 8542] { v -= 0.5 * exp(-pow((x - c) / 2.5, 2)) }
            return v
        }
        return (w, f)
    }

    /// The piecewise-linear interpolant of samples on a uniform grid at x.
    static func interpolate(_ w: [Double], _ f: [Double], at x: Double) -> Double {
        var k = min(w.count - 2, max(0, Int((x - w[0]) / (w[1] - w[0]))))
        while k > 0 && w[k] > x { k -= 1 }
        while k < w.count - 2 && w[k + 1] <= x { k += 1 }
        return f[k] + (f[k + 1] - f[k]) * (x - w[k]) / (w[k + 1] - w[k])
    }

    static func settings(start: Double, step: Double, pixels: Int, sigma: Double) -> InstrumentSettings {
        InstrumentSettings(wavelengthStart: start, wavelengthStep: step, pixels: pixels, velocityDispersionKms: sigma)
    }

    static func pixelMeans(_ settings: InstrumentSettings, _ spectrum: (wavelength: [Double], flux: [Double])) throws -> [Double] {
        let response = try InstrumentResponse(settings: settings, sspWavelengths: spectrum.wavelength, source: "test grid")
        return response.toPixels.apply(Array(spectrum.flux[response.sampleRange]))
    }

    @Test(arguments: [0.0, 350.0])
    func aFlatSpectrumStaysFlatUpToTheStretchFactor(_ sigma: Double) throws {
        let ssp = stride(from: 2000.0, through: 12000, by: 1.3).map { $0 }
        let means = try Self.pixelMeans(Self.settings(start: 3060, step: 50, pixels: 138, sigma: sigma),
                                        (ssp, [Double](repeating: 2.5, count: ssp.count)))
        // B(λ) = c ∫ φ(u) e^(−u) du = c e^(s²/2): stretching λ by e^u dilutes L_λ on average.
        let s = sigma / InstrumentResponse.speedOfLight
        #expect(means.allSatisfy { abs($0 / (2.5 * exp(s * s / 2)) - 1) < 1e-10 })
    }

    /// The additivity/shift property: a 50 Å pixel's mean is the mean of the two 25 Å pixels
    /// it contains, whatever the grids' start (a point-sampled internal grid fails this by %).
    @Test(arguments: [(3035.0, 0.0), (3060.0, 350.0), (3037.3, 350.0), (3101.7, 120.0)])
    func aPixelIsTheMeanOfItsHalvesOnShiftedGrids(_ start: Double, _ sigma: Double) throws {
        let spectrum = Self.structuredSpectrum(step: 0.9)
        let fine = try Self.pixelMeans(Self.settings(start: start, step: 25, pixels: 260, sigma: sigma), spectrum)
        let coarse = try Self.pixelMeans(Self.settings(start: start + 12.5, step: 50, pixels: 130, sigma: sigma), spectrum)
        for i in coarse.indices {
            #expect(abs(coarse[i] / ((fine[2 * i] + fine[2 * i + 1]) / 2) - 1) < 1e-9, "pixel \(i)")
        }
    }

    /// Without broadening a pixel's mean is the integral of the piecewise-linear interpolant
    /// over its edges: the trapezoid rule on the samples plus the partial end intervals.
    @Test func withoutBroadeningAPixelIsTheMeanOfTheInterpolant() throws {
        let spectrum = Self.structuredSpectrum(step: 3.7)
        let settings = Self.settings(start: 4003.1, step: 41.3, pixels: 40, sigma: 0)
        let means = try Self.pixelMeans(settings, spectrum)
        let (w, f) = spectrum
        let value = { (x: Double) in Self.interpolate(w, f, at: x) }
        let edges = settings.pixelEdges
        for j in means.indices {
            let points = [edges[j]] + w.filter { $0 > edges[j] && $0 < edges[j + 1] } + [edges[j + 1]]
            var integral = 0.0
            for (a, b) in zip(points, points.dropFirst()) { integral += (value(a) + value(b)) / 2 * (b - a) }
            #expect(abs(means[j] - integral / (edges[j + 1] - edges[j])) < 1e-12)
        }
    }

    /// Against brute force: broaden on a fine ln λ grid by direct summation of the kernel, then
    /// integrate over each pixel by the trapezoid rule on 0.05 Å steps.
    @Test func broadenedPixelMeansMatchABruteForceIntegral() throws {
        let spectrum = Self.structuredSpectrum(step: 0.9)
        let settings = Self.settings(start: 4800.3, step: 50, pixels: 8, sigma: 350)
        let means = try Self.pixelMeans(settings, spectrum)
        // The attenuation-weighted means, with a steep curve so that where the light lands matters.
        let law = DustLaw.powerLaw(index: -4)
        let response = try InstrumentResponse(settings: settings, sspWavelengths: spectrum.wavelength, source: "test grid",
                                              attenuation: law)
        let attenuated = response.toAttenuatedPixels.apply(Array(spectrum.flux[response.sampleRange]))
        let s = 350 / InstrumentResponse.speedOfLight
        let (w, f) = spectrum
        let value = { (x: Double) in Self.interpolate(w, f, at: x) }
        // B(λ) = ∫ f(λ e^(−u)) φ(u/s)/s du · e^(−u)·… in the luminosity-conserving form:
        // B(λ) = ∫ f(λ') φ(ln(λ/λ')/s)/(sλ) dλ' with λ' = λ e^(−u): dλ' = λ' du, so
        // B(λ) = ∫ f(λ e^(−u)) φ(u/s)/s · e^(−u) du.
        let du = s / 40
        let kernel = (-400...400).map { i -> (Double, Double) in
            let u = Double(i) * du
            return (u, exp(-0.5 * pow(u / s, 2)) / (s * (2 * Double.pi).squareRoot()) * exp(-u) * du)
        }
        func broadened(_ x: Double) -> Double { kernel.reduce(0) { $0 + value(x * exp(-$1.0)) * $1.1 } }
        let edges = settings.pixelEdges
        for j in means.indices {
            let steps = Int(((edges[j + 1] - edges[j]) / 0.05).rounded())
            let h = (edges[j + 1] - edges[j]) / Double(steps)
            var integral = 0.5 * (broadened(edges[j]) + broadened(edges[j + 1]))
            for i in 1..<steps { integral += broadened(edges[j] + Double(i) * h) }
            integral *= h / (edges[j + 1] - edges[j])
            #expect(abs(means[j] / integral - 1) < 2e-6, "pixel \(j)")
            var weighted = 0.0
            for i in 0...steps {
                let x = edges[j] + Double(i) * h
                weighted += (i == 0 || i == steps ? 0.5 : 1) * law.relativeAttenuation(wavelength: x) * broadened(x)
            }
            weighted *= h / (edges[j + 1] - edges[j])
            #expect(abs(attenuated[j] / weighted - 1) < 2e-6, "pixel \(j), attenuated")
        }
    }

    /// Lines: the pixel means are the Gaussian (in velocity) integrated over each pixel, their
    /// luminosity is conserved, and a line on a pixel edge splits evenly.
    @Test func linesAreGaussiansIntegratedOverPixels() throws {
        let settings = InstrumentSettings.paper
        let ssp = stride(from: 2000.0, through: 12000, by: 1).map { $0 }
        let response = try InstrumentResponse(settings: settings, sspWavelengths: ssp, source: "test grid")
        let edges = settings.pixelEdges
        let lines = response.lineWeights(wavelengths: [6562.8, edges[60], 2500]).plain
        let means = (0..<3).map { l -> [Double] in
            var unit = [0.0, 0, 0]
            unit[l] = 7
            return lines.apply(unit)
        }
        #expect(abs(means[0].reduce(0, +) * settings.wavelengthStep - 7) < 1e-12)
        #expect(means[0].firstIndex(of: means[0].max()!) == settings.pixelCentres.firstIndex(of: 6560))
        // Simpson's rule on the lognormal density of λ = λ₀ e^u over pixel 70, as a check.
        let s = settings.velocityDispersionKms / InstrumentResponse.speedOfLight
        func density(_ x: Double) -> Double { exp(-0.5 * pow(log(x / 6562.8) / s, 2)) / (s * x * (2 * Double.pi).squareRoot()) }
        for j in 69...71 {
            let n = 2000, h = (edges[j + 1] - edges[j]) / Double(n)
            var sum = density(edges[j]) + density(edges[j + 1])
            for i in 1..<n { sum += density(edges[j] + Double(i) * h) * (i % 2 == 1 ? 4 : 2) }
            let expected = 7 * sum * h / 3 / settings.wavelengthStep
            #expect(abs(means[0][j] - expected) < 1e-9 * 7, "pixel \(j)")
        }
        #expect(abs(means[1][59] - means[1][60]) < 1e-3 * means[1][60])
        #expect(means[2].allSatisfy { $0 == 0 })
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
