import DigsCore
import Foundation

/// What the flow's context vector (its conditioning input) holds, built from an observation
/// of P pixels: log10 L_λ x, its 1σ in dex and a usable-pixel mask.
public enum ContextLayout: String, Codable, Sendable, CaseIterable {
    /// x alone (the paper): C = P. Every pixel must be usable, and the noise must be the one
    /// the flow was trained with.
    case flux
    /// As SBI++ (Wang et al. 2023): [x, log10 σ, mask] per pixel, C = 3P, with x and log10 σ set
    /// to 0 where the mask is 0 — so masked pixels cannot influence the posterior, and the flow
    /// learns how the noise level and the coverage change it.
    case fluxSigmaMask = "flux_sigma_mask"

    /// Context length for P pixels.
    public func contextSize(pixels p: Int) -> Int { self == .flux ? p : 3 * p }

    /// The context of one observation (x and σ in dex, mask 1 = usable).
    public func encode(x: ArraySlice<Float>, sigma: ArraySlice<Float>, mask: ArraySlice<UInt8>) -> [Float] {
        switch self {
        case .flux:
            return Array(x)
        case .fluxSigmaMask:
            let p = x.count
            var out = [Float](repeating: 0, count: 3 * p)
            for (j, (i, (s, m))) in zip(x.indices, zip(sigma, mask)).enumerated() where m == 1 {
                out[j] = x[i]
                out[p + j] = log10(s)
                out[2 * p + j] = 1
            }
            return out
        }
    }

    /// Why a flow with this layout cannot take `observation`, in words (nil: it can).
    /// `trainedSigma`: the σ (dex) per pixel a flow that sees x alone was trained with; such a
    /// flow refuses an observation whose σ differs from it by more than a factor 2 (median over
    /// usable pixels). Every flow refuses non-finite data at usable pixels and observations with
    /// fewer than half the pixels usable (it was trained with at least half of them).
    public func refusal(_ observation: NoisySpectrum, trainedSigma: [Double]?) -> String? {
        let (x, sigma, usable, p) = (observation.logFlux, observation.sigma, observation.usable, observation.pixels)
        if usable.contains(where: { !x[$0].isFinite || !(sigma[$0] > 0) || !sigma[$0].isFinite }) {
            return "NaN or infinite flux, or σ ≤ 0, at usable pixels"
        }
        if self == .flux && usable.count < p {
            return "\(p - usable.count) of \(p) pixels masked, but the flow was trained on complete spectra (context 'flux'); train it with heteroscedastic noise and masks (model.observation.noise.model: heteroscedastic) to infer partially covered spectra"
        }
        if usable.count < p / 2 {
            return "only \(usable.count) of \(p) pixels usable; the flow was trained with at least half of them"
        }
        if let trainedSigma, !usable.isEmpty {
            let ratios = usable.map { Double(sigma[$0]) / trainedSigma[$0] }.sorted()
            let median = ratios[ratios.count / 2]
            if median > 2 || median < 0.5 {
                return String(format: "its σ is %.2f× the noise the flow was trained with (median over pixels); a flow that sees the spectrum alone assumes that noise — train with heteroscedastic noise to use each galaxy's own σ", median)
            }
        }
        return nil
    }

    /// The context of one observation.
    public func encode(_ observation: NoisySpectrum) -> [Float] {
        encode(x: observation.logFlux[...], sigma: observation.sigma[...], mask: observation.mask[...])
    }
}
