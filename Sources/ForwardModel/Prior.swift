import DigsCore
import Foundation

/// The prior of one parameter on [low, high] (the parameter's own units): uniform, log-uniform,
/// or Student's t truncated to the box (bagpipes' `student_t` prior, which its users give a
/// range as every parameter). Offers log-density, sampling, the unit-cube transform and bounds,
/// as Prospector's priors do.
public struct Prior: Codable, Equatable, Sendable {
    public enum Distribution: String, SettingChoice, Sendable {
        /// Constant density on [low, high].
        case uniform
        /// Density ∝ 1/θ on [low, high] (low > 0): uniform in log θ.
        case logUniform = "log_uniform"
        /// Student's t (`location`, `scale`, `nu`) truncated to [low, high], renormalised.
        case studentT = "student_t"
    }

    public let distribution: Distribution
    public let low: Double
    public let high: Double
    /// The untruncated t of a `student_t` prior (nil for the others).
    public let studentT: StudentT?

    public init(_ distribution: Distribution, low: Double, high: Double) throws {
        guard low.isFinite, high.isFinite, low < high else {
            throw DigsError.invalidInput(field: "prior", problem: "bounds [\(low), \(high)] must be finite with low < high")
        }
        if distribution == .logUniform && low <= 0 {
            throw DigsError.invalidInput(field: "prior", problem: "a log_uniform prior needs low > 0, got \(low)")
        }
        guard distribution != .studentT else {
            throw DigsError.invalidInput(field: "prior", problem: "a student_t prior needs its location, scale and nu")
        }
        self.distribution = distribution
        self.low = low
        self.high = high
        self.studentT = nil
    }

    /// Student's t with `nu` degrees of freedom, `location` and `scale`, truncated to [low, high].
    public init(studentT location: Double, scale: Double, nu: Double, low: Double, high: Double) throws {
        guard low.isFinite, high.isFinite, low < high else {
            throw DigsError.invalidInput(field: "prior", problem: "bounds [\(low), \(high)] must be finite with low < high")
        }
        guard location.isFinite, scale.isFinite, scale > 0, nu.isFinite, nu > 0 else {
            throw DigsError.invalidInput(field: "prior", problem: "a student_t prior needs a finite location, scale > 0 and nu > 0 (are \(location), \(scale), \(nu))")
        }
        (self.distribution, self.low, self.high) = (.studentT, low, high)
        self.studentT = StudentT(nu: nu, location: location, scale: scale)
    }

    /// The t's probability inside the box and its distribution function at `low`.
    private var truncation: (mass: Double, below: Double) {
        let t = studentT!  // only asked of student_t priors
        let below = t.cdf(low)
        return (t.cdf(high) - below, below)
    }

    /// Whether θ lies in the support [low, high].
    public func contains(_ theta: Double) -> Bool { theta >= low && theta <= high }

    /// Maps u ∈ [0, 1] to θ (inverse CDF).
    public func transform(unit u: Double) -> Double {
        switch distribution {
        case .uniform: return low + u * (high - low)
        case .logUniform: return low * Foundation.exp(u * Foundation.log(high / low))
        case .studentT:
            let (mass, below) = truncation
            return min(max(studentT!.quantile(below + u * mass), low), high)
        }
    }

    /// The CDF at θ (0 below the support, 1 above).
    public func cdf(_ theta: Double) -> Double {
        if theta <= low { return 0 }
        if theta >= high { return 1 }
        switch distribution {
        case .uniform: return (theta - low) / (high - low)
        case .logUniform: return Foundation.log(theta / low) / Foundation.log(high / low)
        case .studentT:
            let (mass, below) = truncation
            return (studentT!.cdf(theta) - below) / mass
        }
    }

    /// log p(θ); −∞ outside the support.
    public func logDensity(_ theta: Double) -> Double {
        guard contains(theta) else { return -.infinity }
        switch distribution {
        case .uniform: return -Foundation.log(high - low)
        case .logUniform: return -Foundation.log(theta) - Foundation.log(Foundation.log(high / low))
        case .studentT: return studentT!.logDensity(theta) - Foundation.log(truncation.mass)
        }
    }

    /// One draw.
    public func sample(_ generator: inout Xoshiro256StarStar) -> Double {
        transform(unit: generator.nextUniform())
    }

    enum CodingKeys: String, CodingKey { case distribution, low, high, location, scale, nu }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let distribution = try c.decode(Distribution.self, forKey: .distribution)
        let low = try c.decode(Double.self, forKey: .low), high = try c.decode(Double.self, forKey: .high)
        if distribution == .studentT {
            try self.init(studentT: try c.decode(Double.self, forKey: .location), scale: try c.decode(Double.self, forKey: .scale),
                          nu: try c.decode(Double.self, forKey: .nu), low: low, high: high)
        } else {
            try self.init(distribution, low: low, high: high)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(distribution, forKey: .distribution)
        try c.encode(low, forKey: .low)
        try c.encode(high, forKey: .high)
        if let studentT {
            try c.encode(studentT.location, forKey: .location)
            try c.encode(studentT.scale, forKey: .scale)
            try c.encode(studentT.nu, forKey: .nu)
        }
    }
}
