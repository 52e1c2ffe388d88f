import DigsCore
import Foundation

/// A family of star-formation histories (SFHs): what a model's SFH owns, so that a new family is
/// one file plus its line in `StarFormationHistories.registered`.
///
/// θ holds log_mass, log_z and dust2 (`ModelParameter.shared`) and the family's own parameters;
/// the family turns its parameters into exact fractions of the mass formed per SSP age bin, and
/// says how the age of the Universe at a galaxy's redshift bounds them. The simulator, products,
/// catalog, report, MCMC and importance weights take names, units and rules from here.
/// A family is `Codable` as its own settings (the keys of `model.sfh` beside `family`).
public protocol StarFormationHistory: Codable, Sendable {
    /// The name a pipeline file gives (`model.sfh: delayed_tau`).
    static var familyName: String { get }
    /// The family with its default settings.
    init()
    /// Checks the family's own settings; errors name the `model.sfh.…` key, the value and what
    /// was expected. `oldestAge`: the oldest age (yr) the SSP age bins reach.
    func validate(oldestAge: Double) throws
    /// The family's parameters in their default order, described (units, FITS name, UCD, meaning).
    var parameters: [QuantityDescription] { get }
    /// The default prior of each of `parameters`.
    var defaultPriors: [Prior] { get }
    /// Quantities the family derives for every θ besides those every family derives (the
    /// surviving mass, the mass-weighted age, SFR and sSFR over 100 Myr, t50 and t90), in the
    /// order `derivedValues` returns them.
    var derived: [QuantityDescription] { get }
    /// Checks a pipeline's prior against the family beyond its names (e.g. ages the SSP bins
    /// reach, `oldestAge` yr); errors name `model.parameters.<name>`.
    func check(_ prior: PriorSet, oldestAge: Double) throws
    /// The fraction of the mass formed that falls in each lookback-age bin delimited by `edges`
    /// (yr, increasing), exactly integrated; `theta` holds the family's parameters in
    /// `parameters` order. The fractions sum to 1 over bins that cover the whole history.
    func massFractions(_ theta: [Double], edges: [Double], into fractions: inout [Double])
    /// The star-formation rate at lookback time `lookback` (yr) per unit mass formed, yr⁻¹
    /// (`massFractions` integrates it exactly over each bin); `theta` as there.
    func starFormationRate(_ theta: [Double], lookback: Double) -> Double
    /// `starFormationRate` at each of `lookbacks` (yr), yr⁻¹ per unit mass formed.
    func starFormationRates(_ theta: [Double], lookbacks: [Double]) -> [Double]
    /// The lookback time (yr) by which the fraction `q` (0 < q < 1) of the mass had formed
    /// (t50 for q = ½), exact to ~10⁻¹² relative; `theta` as in `massFractions`.
    func lookbackTime(formedFraction q: Double, _ theta: [Double]) -> Double
    /// When the mass fractions over the age bins `edges` are a fixed linear map of a few
    /// weights (continuity: one column per SFH bin), the map's columns [K][age bin]; nil
    /// otherwise. The simulator then sums K precomputed rows per metallicity instead of one
    /// per age bin. `massFractions` must equal Σ_k `basisWeights`[k]·column k.
    func linearBasis(edges: [Double]) -> [[Double]]?
    /// The weights of `linearBasis`'s columns for the family's parameters `theta`.
    func basisWeights(_ theta: [Double]) -> [Double]
    /// The family's `derived` quantities for its parameters `theta` (in `parameters` order).
    func derivedValues(_ theta: [Double]) -> [Double]
    /// The prior of a galaxy no older than `ageLimit` Gyr (the age of the Universe at its
    /// redshift): `prior` itself when the limit does not bind; throws when no history fits.
    func limitingAge(_ prior: PriorSet, to ageLimit: Double) throws -> PriorSet
    /// Whether the history of θ (one row in `prior`'s order) began no more than `ageLimit` Gyr ago.
    func fitsAge(_ theta: ArraySlice<Double>, in prior: PriorSet, ageLimit: Double) -> Bool
}

extension StarFormationHistory {
    public func linearBasis(edges: [Double]) -> [[Double]]? { nil }
    public func basisWeights(_ theta: [Double]) -> [Double] { [] }

    public func starFormationRates(_ theta: [Double], lookbacks: [Double]) -> [Double] {
        lookbacks.map { starFormationRate(theta, lookback: $0) }
    }

    /// Every parameter of a model with this SFH, in the default order: log_mass, the family's,
    /// log_z, dust2.
    public var modelParameters: [ModelParameter] {
        ModelParameter.shared.leading + parameters.map { ModelParameter($0.name) } + ModelParameter.shared.trailing
    }

    /// Throws unless `prior` lists exactly this model's parameters (each once, any order).
    public func requireParameters(of prior: PriorSet) throws {
        let expected = modelParameters
        guard Set(prior.entries.map(\.parameter)) == Set(expected) else {
            throw DigsError.invalidInput(
                field: "model.parameters",
                problem: "the \(Self.familyName) star-formation history (model.sfh) needs each of \(expected.map(\.rawValue).joined(separator: ", ")) exactly once; the pipeline lists \(prior.names.joined(separator: ", "))")
        }
    }
}

/// The star-formation-history families DIGS knows, by `familyName`.
public enum StarFormationHistories {
    public static let registered: [any StarFormationHistory.Type] = [DelayedTauHistory.self, ContinuityHistory.self]

    /// The family named `name`; the error lists the registered ones.
    public static func family(named name: String, field: String = "model.sfh") throws -> any StarFormationHistory.Type {
        let names = registered.map { $0.familyName }
        guard let i = names.firstIndex(of: name) else {
            let hint = Spelling.nearest(name, in: names).map { " (did you mean '\($0)'?)" } ?? ""
            throw DigsError.invalidInput(field: field, problem: "is '\(name)'\(hint); expected one of \(names.joined(separator: ", "))")
        }
        return registered[i]
    }
}

/// `model.sfh`: the family's name alone (`sfh: delayed_tau`, its defaults), or a mapping of
/// `family` and the family's own settings. Two choices are equal when they encode alike.
public struct SFHChoice: Codable, Equatable, Sendable {
    public let history: any StarFormationHistory

    public init(_ history: any StarFormationHistory = DelayedTauHistory()) { self.history = history }

    /// The key that names the family in the mapping form.
    public static let variantKey = "family"
    struct FamilyKey: CodingKey {
        var stringValue: String { SFHChoice.variantKey }
        var intValue: Int? { nil }
        init() {}
        init?(stringValue: String) { guard stringValue == SFHChoice.variantKey else { return nil } }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            history = try StarFormationHistories.family(named: name).init()
            return
        }
        let c = try decoder.container(keyedBy: FamilyKey.self)
        let name = try c.decode(String.self, forKey: FamilyKey())
        history = try StarFormationHistories.family(named: name, field: "model.sfh.family").init(from: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: FamilyKey.self)
        try c.encode(type(of: history).familyName, forKey: FamilyKey())
        try history.encode(to: encoder)
    }

    public static func == (a: SFHChoice, b: SFHChoice) -> Bool {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(a)) == (try? encoder.encode(b))
    }
}
