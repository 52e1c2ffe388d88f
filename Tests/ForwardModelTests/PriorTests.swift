import DigsCore
import ForwardModel
import Foundation
import Testing

/// Priors against their analytic moments, CDF and normalisation.
struct PriorTests {
    @Test(arguments: [(Prior.Distribution.uniform, 0.01, 4.0), (.logUniform, 0.1, 10.0), (.uniform, -2.0, 0.2)])
    func sampledMomentsMatchAnalyticOnes(_ d: Prior.Distribution, _ low: Double, _ high: Double) throws {
        let prior = try Prior(d, low: low, high: high)
        var g = RandomStreams(seed: 11).generator(.testing)
        let n = 200_000
        let x = (0..<n).map { _ in prior.sample(&g) }
        #expect(x.allSatisfy { prior.contains($0) })
        let mean = x.reduce(0, +) / Double(n)
        let (m, v): (Double, Double)
        switch d {
        case .uniform:
            (m, v) = ((low + high) / 2, pow(high - low, 2) / 12)
        case .logUniform:
            let l = log(high / low)
            m = (high - low) / l
            v = (high * high - low * low) / (2 * l) - m * m
        case .studentT:
            Issue.record("student_t has its own tests")
            return
        }
        #expect(abs(mean - m) < 5 * (v / Double(n)).squareRoot())
    }

    @Test(arguments: [Prior.Distribution.uniform, .logUniform])
    func densityIntegratesToOneAndCDFInvertsTheTransform(_ d: Prior.Distribution) throws {
        let prior = try Prior(d, low: 0.5, high: 8)
        let steps = 100_000
        let h = 7.5 / Double(steps)
        let integral = (0..<steps).reduce(0.0) { $0 + exp(prior.logDensity(0.5 + (Double($1) + 0.5) * h)) } * h
        #expect(abs(integral - 1) < 1e-6)
        for u in [0.0, 0.1, 0.5, 0.93, 1.0] {
            #expect(abs(prior.cdf(prior.transform(unit: u)) - u) < 1e-12)
        }
        #expect(prior.logDensity(0.49) == -.infinity)
    }

    /// Student's t against closed forms of its distribution function: ν = 3 and ν = 4 go
    /// through the incomplete beta function, ν = 1 and 2 through their own closed forms.
    @Test func studentTMatchesClosedForms() {
        let closed: [Double: (Double) -> Double] = [
            1: { 0.5 + atan($0) / Double.pi },
            2: { 0.5 + $0 / (2 * (2 + $0 * $0).squareRoot()) },
            3: { 0.5 + ($0 / (3.0.squareRoot() * (1 + $0 * $0 / 3)) + atan($0 / 3.0.squareRoot())) / Double.pi },
            4: { z in 0.5 + 0.375 * z / (1 + z * z / 4).squareRoot() * (1 - z * z / (12 * (1 + z * z / 4))) },
        ]
        for (nu, f) in closed {
            let t = StudentT(nu: nu, location: 0.2, scale: 0.3)
            for x in [-40.0, -3, -0.7, -0.1, 0.2, 0.25, 1.3, 9] {
                let z = (x - 0.2) / 0.3
                #expect(abs(t.cdf(x) - f(z)) < 1e-13, "ν = \(nu), x = \(x): \(t.cdf(x)) vs \(f(z))")
                let p = f(z)
                #expect(abs(f((t.quantile(p) - 0.2) / 0.3) - p) < 1e-14 * max(1, p / (1 - p)), "ν = \(nu), x = \(x): F(quantile(\(p)))")
            }
            // The density is F's derivative (central differences).
            for x in [-1.0, 0.2, 0.9] {
                let h = 1e-5, slope = (t.cdf(x + h) - t.cdf(x - h)) / (2 * h)
                #expect(abs(exp(t.logDensity(x)) / slope - 1) < 1e-7)
            }
        }
    }

    /// The truncated t prior: normalised on its box, its CDF inverts its transform, its draws
    /// stay inside with the mean its density gives.
    @Test func truncatedStudentTIsAProperPriorOnItsBox() throws {
        let prior = try Prior(studentT: 0, scale: 0.3, nu: 2, low: -1.5, high: 1)
        let steps = 200_000, h = 2.5 / Double(steps)
        let xs = (0..<steps).map { -1.5 + (Double($0) + 0.5) * h }
        let density = xs.map { exp(prior.logDensity($0)) }
        #expect(abs(density.reduce(0, +) * h - 1) < 1e-6)
        let mean = zip(xs, density).reduce(0) { $0 + $1.0 * $1.1 } * h
        for u in [0.0, 0.01, 0.5, 0.77, 1.0] { #expect(abs(prior.cdf(prior.transform(unit: u)) - u) < 1e-12) }
        var g = RandomStreams(seed: 12).generator(.testing)
        let draws = (0..<100_000).map { _ in prior.sample(&g) }
        #expect(draws.allSatisfy { prior.contains($0) })
        let sd = (zip(xs, density).reduce(0) { $0 + $1.0 * $1.0 * $1.1 } * h - mean * mean).squareRoot()
        #expect(abs(draws.reduce(0, +) / 1e5 - mean) < 5 * sd / 1e5.squareRoot())
        #expect(prior.logDensity(1.01) == -.infinity)
        #expect(throws: DigsError.self) { try Prior(studentT: 0, scale: 0, nu: 2, low: -1, high: 1) }
        #expect(throws: DigsError.self) { try Prior(.studentT, low: -1, high: 1) }
    }

    @Test func badBoundsAreRejected() {
        #expect(throws: DigsError.self) { try Prior(.uniform, low: 1, high: 1) }
        #expect(throws: DigsError.self) { try Prior(.logUniform, low: 0, high: 1) }
        #expect(throws: DigsError.self) { try Prior(.uniform, low: .nan, high: 1) }
    }

    @Test func priorSetNeedsEveryParameterOnce() throws {
        let entry = PriorSet.Entry(parameter: .logMass, prior: try Prior(.uniform, low: 8, high: 13))
        #expect(throws: DigsError.self) { try PriorSet([entry]) }
        #expect(throws: DigsError.self) { try PriorSet(PriorSet.paper.entries + [entry]) }
    }

    @Test func checkNamesTheRowAndParameter() {
        let p = PriorSet.paper
        #expect(throws: DigsError.invalidProduct(path: "t.h5", field: "theta[3] t_age", problem: "5.0 lies outside the prior [0.01, 4.0]")) {
            try p.check([10, 5, 0, 0, 0.5][...], row: 3, source: "t.h5")
        }
        #expect(throws: DigsError.invalidProduct(path: "t.h5", field: "theta[0] log_z", problem: "is nan")) {
            try p.check([10, 1, 0, .nan, 0.5][...], row: 0, source: "t.h5")
        }
    }

    /// The one rule of `analytic_mass`: log_mass alone, under a uniform prior.
    @Test func onlyLogMassUnderAUniformPriorHasAnAnalyticConditional() throws {
        #expect(PriorSet.paper.analyticConditionalProblem(.logMass) == nil)
        #expect(PriorSet.paper.analyticConditionalProblem(.tAge)?.contains("only log_mass") == true)
        var entries = PriorSet.paper.entries
        entries[0] = PriorSet.Entry(parameter: .logMass, prior: try Prior(.logUniform, low: 8, high: 13))
        #expect(try PriorSet(entries).analyticConditionalProblem(.logMass)?.contains("log_uniform") == true)
    }

    @Test func shardedDrawsEqualOneRun() {
        let streams = RandomStreams(seed: 4)
        let whole = PriorSet.paper.sample(rows: 0..<100, streams: streams)
        let a = PriorSet.paper.sample(rows: 0..<37, streams: streams)
        let b = PriorSet.paper.sample(rows: 37..<100, streams: streams)
        #expect(whole.data == a.data + b.data)
    }

    @Test func ageLimitTruncatesTAgeAndRenormalises() throws {
        var entries = PriorSet.paper.entries
        entries[1] = PriorSet.Entry(parameter: .tAge, prior: try Prior(.logUniform, low: 0.05, high: 12))
        let prior = try PriorSet(entries)
        let history = DelayedTauHistory()
        #expect(try history.limitingAge(prior, to: 13.4) == prior)          // the Universe is older than the box
        let limited = try history.limitingAge(prior, to: 2.0)
        let t = limited.entries[1].prior
        #expect(t.distribution == .logUniform && t.low == 0.05 && t.high == 2.0)
        #expect(limited.entries.enumerated().allSatisfy { $0.offset == 1 || $0.element == prior.entries[$0.offset] })
        // Density ∝ 1/t on [0.05, 2]: 1/(t ln 40) at t = 1; −∞ above the limit.
        #expect(abs(t.logDensity(1.0) + log(log(40.0))) < 1e-12)
        #expect(t.logDensity(2.5) == -.infinity)
        #expect(throws: DigsError.self) { try history.limitingAge(prior, to: 0.05) }
    }
}
