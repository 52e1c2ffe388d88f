import DigsCore
import Foundation

/// The prior of one parameter: uniform or log-uniform on [low, high] (the parameter's own
/// units). Offers log-density, sampling, the unit-cube transform and bounds, as Prospector's
/// priors do.
public struct Prior: Codable, Equatable, Sendable {
    public enum Distribution: String, SettingChoice, Sendable {
        /// Constant density on [low, high].
        case uniform
        /// Density ∝ 1/θ on [low, high] (low > 0): uniform in log θ.
        case logUniform = "log_uniform"
    }

    public let distribution: Distribution
    public let low: Double
    public let high: Double

    public init(_ distribution: Distribution, low: Double, high: Double) throws {
        guard low.isFinite, high.isFinite, low < high else {
            throw DigsError.invalidInput(field: "prior", problem: "bounds [\(low), \(high)] must be finite with low < high")
        }
        if distribution == .logUniform && low <= 0 {
            throw DigsError.invalidInput(field: "prior", problem: "a log_uniform prior needs low > 0, got \(low)")
        }
        self.distribution = distribution
        self.low = low
        self.high = high
    }

    /// Whether θ lies in the support [low, high].
    public func contains(_ theta: Double) -> Bool { theta >= low && theta <= high }

    /// Maps u ∈ [0, 1] to θ (inverse CDF).
    public func transform(unit u: Double) -> Double {
        switch distribution {
        case .uniform: return low + u * (high - low)
        case .logUniform: return low * Foundation.exp(u * Foundation.log(high / low))
        }
    }

    /// The CDF at θ (0 below the support, 1 above).
    public func cdf(_ theta: Double) -> Double {
        if theta <= low { return 0 }
        if theta >= high { return 1 }
        switch distribution {
        case .uniform: return (theta - low) / (high - low)
        case .logUniform: return Foundation.log(theta / low) / Foundation.log(high / low)
        }
    }

    /// log p(θ); −∞ outside the support.
    public func logDensity(_ theta: Double) -> Double {
        guard contains(theta) else { return -.infinity }
        switch distribution {
        case .uniform: return -Foundation.log(high - low)
        case .logUniform: return -Foundation.log(theta) - Foundation.log(Foundation.log(high / low))
        }
    }

    /// One draw.
    public func sample(_ generator: inout Xoshiro256StarStar) -> Double {
        transform(unit: generator.nextUniform())
    }

    enum CodingKeys: String, CodingKey { case distribution, low, high }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(try c.decode(Distribution.self, forKey: .distribution),
                      low: try c.decode(Double.self, forKey: .low), high: try c.decode(Double.self, forKey: .high))
    }
}
