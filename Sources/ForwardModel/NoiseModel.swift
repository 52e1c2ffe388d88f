import DigsCore
import Foundation

/// How observed data vectors scatter around the noiseless model x = log10 L_λ.
public enum NoiseModel: Codable, Equatable, Sendable {
    /// x + N(0, σ²) per pixel with σ in dex; the paper's 5 %: σ = log10(1.05).
    case logGaussian(sigmaDex: Double)
    /// Gaussian in linear flux: L·(1 + f·n), n ~ N(0, 1); draws with 1 + f·n ≤ 0 are redrawn.
    case fractional(fraction: Double)
    /// x + N(0, σ_j²) with one σ (dex) per pixel.
    case perPixel(sigmaDex: [Double])
    /// A noise level and a mask drawn for every spectrum (real surveys): see `HeteroscedasticNoise`.
    case heteroscedastic(HeteroscedasticNoise)

    /// The paper's noise: 5 % per pixel, as log10(1.05) dex.
    public static let paper = NoiseModel.logGaussian(sigmaDex: log10(1.05))

    /// Whether σ and the mask vary from spectrum to spectrum (the flow must then see them).
    public var isHeteroscedastic: Bool {
        if case .heteroscedastic = self { return true }
        return false
    }

    /// One noisy observation of a noiseless row: noise added to `x`, its 1σ per pixel (dex)
    /// into `sigma`, and which pixels are usable (1) into `mask`.
    public func draw(x: inout ArraySlice<Float>, sigma: inout [Float], mask: inout [UInt8], generator g: inout Xoshiro256StarStar) {
        if case let .heteroscedastic(h) = self {
            h.draw(x: &x, sigma: &sigma, mask: &mask, generator: &g)
            return
        }
        apply(to: &x, generator: &g)
        sigma = sigmaDex(pixels: x.count).map(Float.init)
        mask = [UInt8](repeating: 1, count: x.count)
    }

    /// Adds one noise realisation to a row of x.
    public func apply(to x: inout ArraySlice<Float>, generator g: inout Xoshiro256StarStar) {
        switch self {
        case let .logGaussian(sigma):
            for i in x.indices { x[i] += Float(sigma * g.nextNormal()) }
        case let .fractional(f):
            for i in x.indices {
                var factor = 0.0
                repeat { factor = 1 + f * g.nextNormal() } while factor <= 0
                x[i] += Float(log10(factor))
            }
        case let .perPixel(sigmas):
            for (j, i) in x.indices.enumerated() { x[i] += Float(sigmas[j] * g.nextNormal()) }
        case let .heteroscedastic(h):
            var sigma = [Float](), mask = [UInt8]()
            h.draw(x: &x, sigma: &sigma, mask: &mask, generator: &g)
        }
    }

    /// The 1-σ scatter of x per pixel, dex: exact for `logGaussian` and `perPixel`; for
    /// `fractional` the first-order σ = f/ln 10 of log10(1 + f·n).
    public func sigmaDex(pixels: Int) -> [Double] {
        switch self {
        case let .logGaussian(s): return [Double](repeating: s, count: pixels)
        case let .fractional(f): return [Double](repeating: f / log(10), count: pixels)
        case let .perPixel(s): return s
        case let .heteroscedastic(h): return [Double](repeating: (h.sigmaDexMin * h.sigmaDexMax).squareRoot(), count: pixels)
        }
    }

    /// Checks the model against the number of pixels.
    public func validate(pixels: Int) throws {
        switch self {
        case let .logGaussian(s):
            guard s > 0, s.isFinite else { throw DigsError.invalidInput(field: "model.observation.noise.sigma_dex", problem: "must be > 0") }
        case let .fractional(f):
            guard f > 0, f < 1 else { throw DigsError.invalidInput(field: "model.observation.noise.fraction", problem: "must be in (0, 1)") }
        case let .perPixel(s):
            guard s.count == pixels else {
                throw DigsError.invalidInput(field: "model.observation.noise.sigma_dex", problem: "lists \(s.count) values for \(pixels) pixels")
            }
            guard s.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw DigsError.invalidInput(field: "model.observation.noise.sigma_dex", problem: "values must be > 0")
            }
        case let .heteroscedastic(h):
            try h.validate()
        }
    }

    enum CodingKeys: String, CodingKey { case model, sigmaDex = "sigma_dex", fraction }

    /// The key that names the variant in a pipeline file (`SettingsTree`).
    public static let variantKey = CodingKeys.model.stringValue

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .model) {
        case "log_gaussian":
            self = .logGaussian(sigmaDex: try c.decodeIfPresent(Double.self, forKey: .sigmaDex) ?? log10(1.05))
        case "fractional":
            self = .fractional(fraction: try c.decodeIfPresent(Double.self, forKey: .fraction) ?? 0.05)
        case "per_pixel":
            self = .perPixel(sigmaDex: try c.decode([Double].self, forKey: .sigmaDex))
        case "heteroscedastic":
            self = .heteroscedastic(try HeteroscedasticNoise(from: decoder))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .model, in: c,
                                                   debugDescription: "unknown noise model '\(other)' (expected log_gaussian, fractional, per_pixel or heteroscedastic)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .logGaussian(s):
            try c.encode("log_gaussian", forKey: .model)
            try c.encode(s, forKey: .sigmaDex)
        case let .fractional(f):
            try c.encode("fractional", forKey: .model)
            try c.encode(f, forKey: .fraction)
        case let .perPixel(s):
            try c.encode("per_pixel", forKey: .model)
            try c.encode(s, forKey: .sigmaDex)
        case let .heteroscedastic(h):
            try c.encode("heteroscedastic", forKey: .model)
            try h.encode(to: encoder)
        }
    }
}
