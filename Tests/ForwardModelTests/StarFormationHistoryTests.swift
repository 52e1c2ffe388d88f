import DigsCore
import ForwardModel
import Foundation
import SpectralSynthesis
import Testing

/// The contract every registered star-formation-history family keeps, checked for each: its bin
/// masses are the exact integrals of its own SFR, its age rule means what it says, and its
/// settings and parameters travel through pipeline files and products.
@Suite("Star-formation-history families")
struct StarFormationHistoryTests {
    static let families = StarFormationHistories.registered.map { $0.familyName }

    static func family(_ name: String) throws -> any StarFormationHistory { try StarFormationHistories.family(named: name).init() }

    /// θ rows of the family's default prior, its own parameters only.
    static func draws(_ history: any StarFormationHistory, count: Int, seed: UInt64) -> [[Double]] {
        var g = Xoshiro256StarStar(seed: seed)
        return (0..<count).map { _ in history.defaultPriors.map { $0.sample(&g) } }
    }

    /// ∫ SFR over [a1, a2] (yr) by the midpoint rule on a log-spaced grid: exact to ~1e-9 where the SFR is
    /// smooth, to a step's share (≤ 2e-5 of the bin) where it jumps (continuity's bin edges).
    static func integral(_ history: any StarFormationHistory, _ theta: [Double], _ a1: Double, _ a2: Double) -> Double {
        let steps = 50_000
        if a1 == 0 {  // the first bin on a linear grid
            let h = a2 / Double(steps)
            return (0..<steps).reduce(0) { $0 + history.starFormationRate(theta, lookback: (Double($1) + 0.5) * h) } * h
        }
        let r = log(a2 / a1) / Double(steps)
        return (0..<steps).reduce(0) { sum, k in
            let a = a1 * exp((Double(k) + 0.5) * r)
            return sum + history.starFormationRate(theta, lookback: a) * a * r
        }
    }

    @Test(arguments: families)
    func binMassesAreTheIntegralsOfTheSFR(_ name: String) throws {
        let history = try Self.family(name), edges = AgeBins.standard.edges
        var fractions = [Double](repeating: 0, count: edges.count - 1)
        for theta in Self.draws(history, count: 6, seed: 3) {
            history.massFractions(theta, edges: edges, into: &fractions)
            #expect(abs(fractions.reduce(0, +) - 1) < 1e-12, "\(theta): the fractions sum to \(fractions.reduce(0, +))")
            #expect(fractions.allSatisfy { $0 >= 0 })
            for i in fractions.indices {
                let expected = Self.integral(history, theta, edges[i], edges[i + 1])
                #expect(abs(fractions[i] - expected) < 3e-5, "\(theta) bin \(i): \(fractions[i]) against ∫SFR \(expected)")
            }
        }
    }

    /// A family with a linear basis: its mass fractions are the basis columns weighted by its
    /// basis weights (the simulator sums the basis's rows instead of the age bins').
    @Test(arguments: families)
    func aLinearBasisReproducesTheMassFractions(_ name: String) throws {
        let history = try Self.family(name), edges = AgeBins.standard.edges
        guard let basis = history.linearBasis(edges: edges) else { return }
        var fractions = [Double](repeating: 0, count: edges.count - 1)
        for theta in Self.draws(history, count: 20, seed: 5) {
            history.massFractions(theta, edges: edges, into: &fractions)
            let weights = history.basisWeights(theta)
            #expect(weights.count == basis.count)
            for a in fractions.indices {
                let combined = zip(weights, basis).reduce(0) { $0 + $1.0 * $1.1[a] }
                #expect(abs(combined - fractions[a]) < 1e-15, "\(theta) bin \(a)")
            }
        }
    }

    /// t50 and t90 are where the formed fraction, integrated from the oldest bin, reaches ½ and
    /// 0.9: the mass formed before them (older) is that fraction, to 10⁻⁹.
    @Test(arguments: families)
    func formationTimesSplitTheMassAsTheySay(_ name: String) throws {
        let history = try Self.family(name)
        var fractions = [0.0, 0.0]
        for theta in Self.draws(history, count: 40, seed: 8) {
            for q in [0.5, 0.9, 0.1] {
                let a = history.lookbackTime(formedFraction: q, theta)
                history.massFractions(theta, edges: [0, a, AgeBins.universeAge], into: &fractions)
                #expect(abs(fractions[1] - q) < 1e-9, "\(theta): \(fractions[1]) formed before \(a) yr, expected \(q)")
            }
        }
    }

    /// A θ that fits an age limit forms no star before it; its prior limited to an age older
    /// than the Universe is itself, and the limited prior's draws all fit.
    @Test(arguments: families)
    func theAgeRuleMeansNoStarOlderThanTheLimit(_ name: String) throws {
        let history = try Self.family(name), prior = PriorSet.defaults(for: history)
        #expect(try history.limitingAge(prior, to: AgeBins.universeAge / 1e9) == prior)
        let limit = 1.3
        var g = Xoshiro256StarStar(seed: 9)
        // A family may refuse a galaxy no history of its fits: then no θ fits.
        guard let limited = try? history.limitingAge(prior, to: limit) else {
            #expect((0..<200).allSatisfy { _ in !history.fitsAge(prior.draw(&g)[...], in: prior, ageLimit: limit) })
            return
        }
        let edges = [0, limit * 1e9, AgeBins.universeAge]
        var fractions = [0.0, 0.0]
        for _ in 0..<200 {
            let row = limited.draw(&g)
            #expect(history.fitsAge(row[...], in: prior, ageLimit: limit))
            let own = history.parameters.map { row[prior.index(of: ModelParameter($0.name))] }
            history.massFractions(own, edges: edges, into: &fractions)
            #expect(fractions[1] < 1e-12, "\(row): \(fractions[1]) of the mass formed before \(limit) Gyr")
        }
    }

    /// The family's choice encodes and decodes to itself; its default prior passes its own
    /// check; its vocabulary names every parameter, each declared once.
    @Test(arguments: families)
    func settingsAndParametersRoundTrip(_ name: String) throws {
        let history = try Self.family(name)
        let choice = SFHChoice(history)
        let back = try JSONDecoder().decode(SFHChoice.self, from: try JSONEncoder().encode(choice))
        #expect(back == choice && type(of: back.history).familyName == name)
        let prior = PriorSet.defaults(for: history)
        try history.check(prior, oldestAge: AgeBins.universeAge)
        let vocabulary = ParameterVocabulary(history)
        #expect(vocabulary.parameters.map(\.name) == history.modelParameters.map(\.rawValue))
        #expect(Set(vocabulary.derived.map(\.name)).count == vocabulary.derived.count)
        #expect(Set(vocabulary.parameters.map(\.fitsName)).count == vocabulary.parameters.count)
        var settings = ModelSettings()
        settings.sfh = choice
        settings.parameters = prior
        try settings.validate()
    }

    /// Continuity bins that end at a galaxy's age fit it; those that end later refuse it, naming
    /// the key; bad bin edges are refused with the key, the value and what was expected.
    @Test func continuityBinsAndTheirChecks() throws {
        let young = ContinuityHistory(binEdgesGyr: ContinuityHistory.defaultEdges(bins: 7, oldestGyr: 1.3))
        #expect(young.binEdgesGyr.count == 8 && young.binEdgesGyr[1] == 0.03 && young.binEdgesGyr[2] == 0.1 && young.binEdgesGyr[7] == 1.3)
        let logEdges = young.binEdgesGyr[2...].map { log10($0) }
        #expect(zip(logEdges.dropFirst(), logEdges).allSatisfy { abs(($0 - $1) - (log10(13) / 5)) < 1e-12 })
        let prior = PriorSet.defaults(for: young)
        var g = Xoshiro256StarStar(seed: 21)
        #expect(try young.limitingAge(prior, to: 1.3) == prior && young.fitsAge(prior.draw(&g)[...], in: prior, ageLimit: 1.3))
        #expect(throws: DigsError.self) { try young.limitingAge(prior, to: 1.29) }
        let bad: [([Double], String)] = [([0, 1], "expected at least 2 bins"), ([0.01, 0.1, 1], "expected 0"),
                                          ([0, 0.1, 0.1, 1], "bin_edges_gyr[2]"), ([0, 0.1, 14], "beyond the oldest SSP age")]
        for (edges, words) in bad {
            #expect { try ContinuityHistory(binEdgesGyr: edges).validate(oldestAge: AgeBins.universeAge) } throws: { "\($0)".contains(words) && "\($0)".contains("model.sfh.bin_edges_gyr") }
        }
    }

    /// The delayed-τ prior may not reach beyond the oldest SSP age; the error names the key.
    @Test func aDelayedTauPriorBeyondTheOldestAgeIsRefused() throws {
        var entries = PriorSet.paper.entries
        entries[1] = PriorSet.Entry(parameter: .tAge, prior: try Prior(.uniform, low: 0.01, high: 14))
        var settings = ModelSettings()
        settings.parameters = try PriorSet(entries)
        #expect(throws: DigsError.invalidInput(field: "model.parameters.t_age", problem: "prior reaches 14.0 Gyr, beyond the oldest age bin (13.466983947 Gyr)")) {
            try settings.validate()
        }
    }
}
