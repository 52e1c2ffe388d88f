import DigsCore

/// The joint prior: independent priors of every model parameter, in pipeline order.
public struct PriorSet: Codable, Equatable, Sendable {
    public struct Entry: Codable, Equatable, Sendable {
        public let parameter: ModelParameter
        public let prior: Prior

        public init(parameter: ModelParameter, prior: Prior) {
            self.parameter = parameter
            self.prior = prior
        }

        enum CodingKeys: String, CodingKey { case parameter = "name", prior }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            parameter = try c.decode(ModelParameter.self, forKey: .parameter)
            do {
                prior = try Prior(from: decoder)
            } catch let DigsError.invalidInput(_, problem) {
                // Name the entry: "model.parameters[0]" and its parameter.
                let path = decoder.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                    .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
                throw DigsError.invalidInput(field: path, problem: "(\(parameter.rawValue)) \(problem)")
            }
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(parameter, forKey: .parameter)
            try prior.encode(to: encoder)
        }
    }

    public let entries: [Entry]

    /// The paper's priors: log M U(8, 13), log Z U(−2, 0.2), dust2 U(0.1, 1) and the delayed-τ
    /// history's own (t_age U(0.01, 4) Gyr, log τ U(−1, 1)).
    public static let paper = defaults(for: DelayedTauHistory())

    /// The default priors of a model with the SFH `history`, in its default order: log M U(8, 13),
    /// the family's, log Z U(−2, 0.2), dust2 U(0.1, 1).
    public static func defaults(for history: any StarFormationHistory) -> PriorSet {
        let shared = [try! Prior(.uniform, low: 8, high: 13), try! Prior(.uniform, low: -2.0, high: 0.2),
                      try! Prior(.uniform, low: 0.1, high: 1.0)]  // valid literal bounds
        let priors = [shared[0]] + history.defaultPriors + shared[1...]
        return try! PriorSet(zip(history.modelParameters, priors).map { Entry(parameter: $0, prior: $1) })  // distinct names
    }

    /// Requires distinct names, log_mass, log_z and dust2 among them (the SFH's own are checked
    /// against its family: `StarFormationHistory.requireParameters`).
    public init(_ entries: [Entry]) throws {
        let names = entries.map(\.parameter)
        let required = ModelParameter.shared.leading + ModelParameter.shared.trailing
        let repeated = Set(names.filter { n in names.filter { $0 == n }.count > 1 }), missing = required.filter { !names.contains($0) }
        guard repeated.isEmpty, missing.isEmpty else {
            let problems = repeated.map { "\($0) more than once" }.sorted() + missing.map { "\($0) missing" }
            throw DigsError.invalidInput(
                field: "model.parameters",
                problem: "must list each parameter exactly once, log_mass, log_z and dust2 among them (\(problems.joined(separator: ", "))); got \(names.map(\.rawValue))")
        }
        self.entries = entries
    }

    public init(from decoder: Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode([Entry].self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(entries)
    }

    public var count: Int { entries.count }
    public var names: [String] { entries.map(\.parameter.rawValue) }
    public var units: [String] { entries.map(\.parameter.units) }

    /// The position of a parameter in θ.
    public func index(of parameter: ModelParameter) -> Int {
        entries.firstIndex { $0.parameter == parameter }!  // log_mass, log_z, dust2: init; the SFH's: its family's check
    }

    /// Draws rows `rows` of a theta grid: row i uses its own random stream, so any split
    /// of the rows into shards gives the same values.
    public func sample(rows: Range<Int>, streams: RandomStreams) -> NDArray<Double> {
        var data = [Double]()
        data.reserveCapacity(rows.count * count)
        for row in rows {
            var g = streams.generator(.priorDraws, index: UInt64(row))
            for e in entries { data.append(e.prior.sample(&g)) }
        }
        return try! NDArray(shape: [rows.count, count], data: data)  // count matches by construction
    }

    /// log p(θ) of one parameter vector; −∞ outside the support.
    public func logDensity(_ theta: ArraySlice<Double>) -> Double {
        zip(entries, theta).reduce(0) { $0 + $1.0.prior.logDensity($1.1) }
    }

    /// Why `parameter` cannot be drawn from its exact conditional posterior given the others
    /// (nil: it can) — the one rule of `train.analytic_mass`, which training, inference and the
    /// likelihood all ask here: it must be log_mass, which adds to every log-flux pixel alike, so
    /// χ² is quadratic in it; and its prior must be uniform, so the conditional is a Gaussian
    /// truncated to the prior's range.
    public func analyticConditionalProblem(_ parameter: ModelParameter) -> String? {
        guard parameter == .logMass else {
            return "is '\(parameter.rawValue)'; only log_mass, which shifts every log-flux pixel alike, has an exact conditional DIGS draws"
        }
        let distribution = entries[index(of: parameter)].prior.distribution
        guard distribution == .uniform else {
            return "log_mass's prior is \(distribution.rawValue); its exact conditional is a truncated Gaussian only under a uniform prior"
        }
        return nil
    }

    /// One draw of θ from the joint prior.
    public func draw(_ generator: inout Xoshiro256StarStar) -> [Double] {
        entries.map { $0.prior.sample(&generator) }
    }

    /// Throws unless `other` (a flow, an MCMC product: `what`) has these parameters in this
    /// order and this prior box: a posterior is only meaningful under the prior it was made with.
    /// `excluding`: a parameter `other` leaves out (a flow that leaves log_mass to its exact conditional).
    public func requireSameBox(names: [String], low: [Double], high: [Double], of what: String,
                               excluding: ModelParameter? = nil) throws {
        let kept = entries.filter { $0.parameter != excluding }
        guard names == kept.map(\.parameter.rawValue) else {
            let listed = excluding.map { " (without \($0.rawValue))" } ?? ""
            throw DigsError.invalidInput(field: "model.parameters",
                                         problem: "the pipeline lists \(kept.map(\.parameter.rawValue))\(listed); \(what) infers \(names)")
        }
        for (j, e) in kept.enumerated() where low[j] != e.prior.low || high[j] != e.prior.high {
            throw DigsError.invalidInput(
                field: "model.parameters[\(j)] (\(e.parameter.rawValue))",
                problem: "the pipeline's prior is [\(e.prior.low), \(e.prior.high)]; \(what) was made with [\(low[j]), \(high[j])] — use the pipeline file it was trained with, or train a flow for this prior")
        }
    }

    /// Throws unless θ is finite and inside every prior's support; names the row and parameter.
    public func check(_ theta: ArraySlice<Double>, row: Int, source: String) throws {
        for (e, value) in zip(entries, theta) {
            if !value.isFinite {
                throw DigsError.invalidProduct(path: source, field: "theta[\(row)] \(e.parameter.rawValue)", problem: "is \(value)")
            }
            if !e.prior.contains(value) {
                throw DigsError.invalidProduct(path: source, field: "theta[\(row)] \(e.parameter.rawValue)",
                                               problem: "\(value) lies outside the prior [\(e.prior.low), \(e.prior.high)]")
            }
        }
    }
}
