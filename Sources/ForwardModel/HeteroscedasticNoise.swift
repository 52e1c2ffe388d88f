import DigsCore
import Foundation

/// Noise that differs from spectrum to spectrum, with masked pixels, as in real surveys (the
/// SBI++ setting of Wang et al. 2023). For each spectrum:
/// - a noise level s (dex) is drawn log-uniformly in [`sigmaDexMin`, `sigmaDexMax`];
/// - σ_j = min(0.5, s · (L_j / median L)^(−`fluxExponent`) · 10^(t · (j/(P−1) − ½))) dex per
///   pixel (exponent ½: photon noise, brighter pixels have higher S/N; 0: flat), with a tilt t
///   drawn uniformly in ±`tiltDexMax` (σ at the red end over σ at the blue end is 10^t: the
///   number of detector pixels per grid pixel, the throughput and the sky all change along
///   the spectrum), and x_j += σ_j · N(0, 1);
/// - optionally (`shapeDegree` K ≥ 2) a smooth shape Σ_{k=2…K} b_k P_k(u_j) added to log10 σ_j,
///   b_k uniform in ±`shapeDexMax` (P_k Legendre, u_j = 2j/(P − 1) − 1). With `fluxExponent` 0
///   this gives σ shapes that do not depend on θ: σ is then ancillary, as the likelihood assumes
///   when it conditions on σ. With `fluxExponent` > 0, σ is a function of the noiseless
///   spectrum, which the flow reads through its σ context: information the exact likelihood
///   (and real data, whose σ follows the observed, calibrated flux) does not have;
/// - with probability `edgeProbability`, independently at each end, a block of up to
///   `edgeMaxFraction` of the pixels is masked (coverage lost to redshift), and every pixel is
///   masked with probability `pixelProbability` (bad pixels, sky lines).
public struct HeteroscedasticNoise: Codable, Equatable, Sendable {
    public var sigmaDexMin: Double
    public var sigmaDexMax: Double
    public var fluxExponent: Double
    public var tiltDexMax: Double
    public var edgeProbability: Double
    public var edgeMaxFraction: Double
    public var pixelProbability: Double
    public var shapeDegree: Int
    public var shapeDexMax: Double

    public init(sigmaDexMin: Double, sigmaDexMax: Double, fluxExponent: Double = 0.5, tiltDexMax: Double = 0,
                edgeProbability: Double = 0, edgeMaxFraction: Double = 0, pixelProbability: Double = 0,
                shapeDegree: Int = 0, shapeDexMax: Double = 0) {
        (self.sigmaDexMin, self.sigmaDexMax, self.fluxExponent, self.tiltDexMax) = (sigmaDexMin, sigmaDexMax, fluxExponent, tiltDexMax)
        (self.edgeProbability, self.edgeMaxFraction, self.pixelProbability) = (edgeProbability, edgeMaxFraction, pixelProbability)
        (self.shapeDegree, self.shapeDexMax) = (shapeDegree, shapeDexMax)
    }

    enum CodingKeys: String, CodingKey {
        case sigmaDexMin = "sigma_dex_min", sigmaDexMax = "sigma_dex_max", fluxExponent = "flux_exponent", tiltDexMax = "tilt_dex_max"
        case edgeProbability = "mask_edge_probability", edgeMaxFraction = "mask_edge_max_fraction"
        case pixelProbability = "mask_pixel_probability"
        case shapeDegree = "sigma_shape_degree", shapeDexMax = "sigma_shape_dex_max"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sigmaDexMin = try c.decode(Double.self, forKey: .sigmaDexMin)
        sigmaDexMax = try c.decode(Double.self, forKey: .sigmaDexMax)
        fluxExponent = try c.decodeIfPresent(Double.self, forKey: .fluxExponent) ?? 0.5
        tiltDexMax = try c.decodeIfPresent(Double.self, forKey: .tiltDexMax) ?? 0
        edgeProbability = try c.decodeIfPresent(Double.self, forKey: .edgeProbability) ?? 0
        edgeMaxFraction = try c.decodeIfPresent(Double.self, forKey: .edgeMaxFraction) ?? 0
        pixelProbability = try c.decodeIfPresent(Double.self, forKey: .pixelProbability) ?? 0
        shapeDegree = try c.decodeIfPresent(Int.self, forKey: .shapeDegree) ?? 0
        shapeDexMax = try c.decodeIfPresent(Double.self, forKey: .shapeDexMax) ?? 0
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sigmaDexMin, forKey: .sigmaDexMin)
        try c.encode(sigmaDexMax, forKey: .sigmaDexMax)
        try c.encode(fluxExponent, forKey: .fluxExponent)
        try c.encode(tiltDexMax, forKey: .tiltDexMax)
        try c.encode(edgeProbability, forKey: .edgeProbability)
        try c.encode(edgeMaxFraction, forKey: .edgeMaxFraction)
        try c.encode(pixelProbability, forKey: .pixelProbability)
        // Absent unless used, so the records of pipelines without a σ shape are unchanged.
        if shapeDegree != 0 || shapeDexMax != 0 {
            try c.encode(shapeDegree, forKey: .shapeDegree)
            try c.encode(shapeDexMax, forKey: .shapeDexMax)
        }
    }

    public func validate() throws {
        func bad(_ key: String, _ problem: String) -> DigsError { .invalidInput(field: "model.observation.noise.\(key)", problem: problem) }
        guard sigmaDexMin > 0, sigmaDexMin <= sigmaDexMax, sigmaDexMax < 1 else {
            throw bad("sigma_dex_min/sigma_dex_max", "need 0 < min ≤ max < 1 dex (got \(sigmaDexMin), \(sigmaDexMax))")
        }
        guard (0...2).contains(fluxExponent) else { throw bad("flux_exponent", "must be in 0…2") }
        guard (0...2).contains(tiltDexMax) else { throw bad("tilt_dex_max", "must be in 0…2 dex") }
        guard (0...1).contains(edgeProbability), (0...1).contains(pixelProbability) else {
            throw bad("mask_edge_probability/mask_pixel_probability", "must be probabilities in 0…1")
        }
        guard (0...0.9).contains(edgeMaxFraction) else { throw bad("mask_edge_max_fraction", "must be in 0…0.9") }
        guard shapeDegree == 0 || (2...12).contains(shapeDegree) else { throw bad("sigma_shape_degree", "must be 0 (none) or 2…12 (is \(shapeDegree))") }
        guard (0...1).contains(shapeDexMax) else { throw bad("sigma_shape_dex_max", "must be in 0…1 dex (is \(shapeDexMax))") }
    }

    /// One draw: noise into `x`, σ (dex) into `sigma`, usable pixels into `mask`.
    public func draw(x: inout ArraySlice<Float>, sigma: inout [Float], mask: inout [UInt8], generator g: inout Xoshiro256StarStar) {
        let p = x.count
        let median = Double(x.sorted()[p / 2])
        let level = exp(log(sigmaDexMin) + g.nextUniform() * log(sigmaDexMax / sigmaDexMin))
        let tilt = tiltDexMax > 0 ? tiltDexMax * (2 * g.nextUniform() - 1) : 0
        let shape = shapeDegree >= 2 ? (2...shapeDegree).map { _ in shapeDexMax * (2 * g.nextUniform() - 1) } : []
        // Σ_k b_k P_k(u_j) at every pixel (P_2 … P_K; none without a shape).
        let logShape = shape.isEmpty ? [Double](repeating: 0, count: p) : (0..<p).map { j in
            zip(shape, FluxCalibration.legendre(pixel: j, pixels: p, degree: shapeDegree).dropFirst()).reduce(0) { $0 + $1.0 * $1.1 }
        }
        sigma = [Float](repeating: 0, count: p)
        for (j, i) in x.indices.enumerated() {
            let position = p > 1 ? Double(j) / Double(p - 1) - 0.5 : 0
            let s = min(0.5, level * pow(10, -fluxExponent * (Double(x[i]) - median) + tilt * position + logShape[j]))
            sigma[j] = Float(s)
            x[i] += Float(s * g.nextNormal())
        }
        mask = [UInt8](repeating: 1, count: p)
        let longest = Int(edgeMaxFraction * Double(p))
        if g.nextUniform() < edgeProbability {
            for j in 0..<min(p, Int(g.nextUniform() * Double(longest + 1))) { mask[j] = 0 }
        }
        if g.nextUniform() < edgeProbability {
            for j in 0..<min(p, Int(g.nextUniform() * Double(longest + 1))) { mask[p - 1 - j] = 0 }
        }
        if pixelProbability > 0 {
            for j in 0..<p where g.nextUniform() < pixelProbability { mask[j] = 0 }
        }
    }
}
