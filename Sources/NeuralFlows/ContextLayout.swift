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
}

