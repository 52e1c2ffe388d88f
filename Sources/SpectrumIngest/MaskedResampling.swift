import Foundation
import SpectralSynthesis

/// Flux-conserving resampling of a spectrum with per-pixel variances and bad pixels onto
/// output bins (the `spectres` algorithm of Carnall 2017, restricted to good pixels): each
/// output value is the overlap-weighted mean of the good input pixels it covers,
///
///     f_out = Σ w_i f_i / Σ w_i,   σ²_out = Σ w_i² σ_i² / (Σ w_i)²,
///
/// with w_i the overlap (Å) of input bin i with the output bin. `coverage` is Σ w_i over the
/// output bin's width: 0 outside the observed range or where all input pixels are bad.
public enum MaskedResampling {
    public struct Result: Equatable, Sendable {
        public var flux: [Double]
        public var variance: [Double]
        /// Fraction of each output bin covered by good input pixels (0…1).
        public var coverage: [Double]
    }

    /// `inputEdges` (N + 1, increasing) bound the N input pixels; `outputEdges` (M + 1,
    /// increasing) the M output bins. `good[i]` false excludes pixel i.
    public static func resample(inputEdges: [Double], flux: [Double], variance: [Double], good: [Bool],
                                outputEdges: [Double]) -> Result {
        let n = flux.count, m = outputEdges.count - 1
        precondition(inputEdges.count == n + 1 && variance.count == n && good.count == n && m >= 1)
        var result = Result(flux: .init(repeating: .nan, count: m), variance: .init(repeating: .nan, count: m),
                            coverage: .init(repeating: 0, count: m))
        for (j, row) in Rebinning.overlaps(inputEdges: inputEdges, outputEdges: outputEdges).enumerated() {
            var weight = 0.0, sum = 0.0, sumVariance = 0.0
            for (i, overlap) in row where good[i] {
                weight += overlap
                sum += overlap * flux[i]
                sumVariance += overlap * overlap * variance[i]
            }
            result.coverage[j] = weight / (outputEdges[j + 1] - outputEdges[j])
            if weight > 0 {
                result.flux[j] = sum / weight
                result.variance[j] = sumVariance / (weight * weight)
            }
        }
        return result
    }
}
