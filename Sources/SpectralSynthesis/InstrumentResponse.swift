import DigsCore
import Foundation

/// How a spectrum on the SSP wavelengths reaches the instrument pixels.
///
/// 1. Sampling onto an internal grid uniform in ln λ (resolving power R = 1000: Δlnλ =
///    ln 1.0005, ≈ 150 km/s per pixel) by linear interpolation, built by the same
///    multiplication loop as bagpipes' `model_galaxy` so the grids coincide point for point.
/// 2. Gaussian velocity broadening there (`VelocitySmoothing`).
/// 3. Flux-conserving averaging of the piecewise-constant internal pixels onto the
///    instrument pixels (the `spectres` algorithm).
///
/// Steps 2–3 form `toPixels`; emission lines enter on the internal grid as one-pixel spikes
/// of the line's luminosity at the nearest internal pixel.
public struct InstrumentResponse: Sendable {
    public let settings: InstrumentSettings
    /// Internal grid wavelengths, Å.
    public let internalWavelength: [Double]
    /// SSP wavelengths → internal grid (linear interpolation).
    public let toInternal: SparseLinearMap
    /// Internal grid → pixels (broadening, then averaging).
    public let toPixels: SparseLinearMap

    /// Internal sampling ratio between neighbouring points (R = 1000).
    public static let samplingRatio = 1.0005

    /// - Throws: when the SSP grid does not cover the pixels plus the broadening margin.
    public init(settings: InstrumentSettings, sspWavelengths: [Double], source: String) throws {
        try settings.validate()
        let need = settings.requiredCoverage
        guard let first = sspWavelengths.first, let last = sspWavelengths.last, first <= need.lowerBound,
              last >= need.upperBound else {
            throw DigsError.invalidInput(
                field: "instrument wavelength grid",
                problem: String(format: "pixels with broadening need %.1f–%.1f Å but the SSP library %@ covers %.1f–%.1f Å",
                                need.lowerBound, need.upperBound, source, sspWavelengths.first ?? 0, sspWavelengths.last ?? 0))
        }
        let grid = Self.internalGrid(first: settings.wavelengthStart,
                                     last: settings.pixelCentres.last! + 20 * settings.wavelengthStep)
        let x = grid.filter { need.contains($0) }
        let interpolate = Self.linearInterpolation(samples: sspWavelengths, at: x)
        let broaden = VelocitySmoothing.map(count: x.count, sigmaKms: settings.velocityDispersionKms,
                                            logStep: log(Self.samplingRatio))
        let average = Rebinning.averagingPiecewiseConstant(inputEdges: Rebinning.edges(centres: x), onto: settings.pixelEdges)
        self.settings = settings
        self.internalWavelength = x
        self.toInternal = interpolate
        self.toPixels = average.composed(after: broaden)
    }

    /// bagpipes' wavelength sampling for a spectrum from `first` to `last` Å: from 1 Å in
    /// steps of ×1.025 up to first/11, then ×1.0005 until `last` is reached, then ×1.025.
    /// Only the part up to `last`·1.1 is returned.
    static func internalGrid(first: Double, last: Double) -> [Double] {
        var x: [Double] = [1]
        let coarse = 1 + 0.5 / 20, fine = 1 + 0.5 / 1000
        while x[x.count - 1] * coarse < first / 11 { x.append(x[x.count - 1] * coarse) }
        while x[x.count - 1] < last { x.append(x[x.count - 1] * fine) }
        while x[x.count - 1] < last * 1.1 { x.append(x[x.count - 1] * coarse) }
        return x
    }

    /// Linear interpolation of samples (λᵢ, fᵢ) at the points `x` (inside the samples).
    static func linearInterpolation(samples w: [Double], at x: [Double]) -> SparseLinearMap {
        var k = 0
        let rows = x.map { v -> [(Int, Double)] in
            while k < w.count - 2 && w[k + 1] <= v { k += 1 }
            let t = (v - w[k]) / (w[k + 1] - w[k])
            return [(k, 1 - t), (k + 1, t)]
        }
        return SparseLinearMap(inputCount: w.count, rows: rows)
    }

    /// Adds a line of luminosity `luminosity` (L☉) at `wavelength` (Å) to a spectrum on the
    /// internal grid (L☉/Å) as a spike at the nearest internal pixel, divided by that
    /// pixel's width; lines outside the grid are ignored.
    public func addLine(wavelength λ: Double, luminosity: Double, to f: inout [Double]) {
        let x = internalWavelength
        guard λ > x[1], λ < x[x.count - 2] else { return }
        var lo = 0, hi = x.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if x[mid] < λ { lo = mid } else { hi = mid }
        }
        let i = (λ - x[lo] <= x[hi] - λ) ? lo : hi
        f[i] += luminosity / ((x[i + 1] - x[i - 1]) / 2)
    }
}
