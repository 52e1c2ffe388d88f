import DigsCore
import Foundation
import SpectralSynthesis

extension ModelParameter {
    /// Time since star formation began (age of the galaxy), Gyr (delayed-τ).
    public static let tAge = ModelParameter("t_age")
    /// log10 of the e-folding time τ of the delayed-τ SFH, Gyr.
    public static let logTau = ModelParameter("log_tau")
}

/// The paper's star-formation history, SFR(t) ∝ (t/τ) e^(−t/τ) since star formation began
/// t_age ago (`DelayedTauSFH` integrates it over the age bins exactly). Parameters t_age (Gyr) and
/// log_tau (log Gyr); the age of the Universe at a galaxy's redshift bounds t_age.
public struct DelayedTauHistory: StarFormationHistory, Equatable {
    public static let familyName = "delayed_tau"

    public init() {}

    public func validate(oldestAge: Double) throws {}

    public var parameters: [QuantityDescription] {
        [QuantityDescription(name: "t_age", units: "Gyr", fitsName: "T_AGE", ucd: "time.age",
                             meaning: "age of the galaxy (time since star formation began)"),
         QuantityDescription(name: "log_tau", units: "log(Gyr)", fitsName: "LOG_TAU", ucd: "time.scale",
                             meaning: "log10 of the e-folding time of the delayed-tau SFH")]
    }

    /// The paper's: t_age U(0.01, 4) Gyr, log τ U(−1, 1).
    public var defaultPriors: [Prior] {
        [try! Prior(.uniform, low: 0.01, high: 4), try! Prior(.uniform, low: -1, high: 1)]  // valid literal bounds
    }

    public var derived: [QuantityDescription] {
        [QuantityDescription(name: "sfr_weighted_age", units: "Gyr", fitsName: "SFRWAGE", ucd: "time.age",
                             meaning: "mean age of all stars formed (weighted by the star-formation rate)")]
    }

    public func check(_ prior: PriorSet, oldestAge: Double) throws {
        try requireParameters(of: prior)
        let high = prior.entries[prior.index(of: .tAge)].prior.high
        guard 1e9 * high <= oldestAge else {
            throw DigsError.invalidInput(field: "model.parameters.t_age",
                                         problem: "prior reaches \(high) Gyr, beyond the oldest age bin (\(oldestAge / 1e9) Gyr)")
        }
    }

    /// `theta`: t_age (Gyr), log_tau (log Gyr).
    func sfh(_ theta: [Double]) -> DelayedTauSFH { DelayedTauSFH(age: theta[0] * 1e9, tau: pow(10, theta[1]) * 1e9) }

    public func massFractions(_ theta: [Double], edges: [Double], into fractions: inout [Double]) {
        sfh(theta).binFractions(edges: edges, into: &fractions)
    }

    /// (t/τ) e^(−t/τ) / (τ P₂(t_age/τ)) at t = t_age − lookback, zero before star formation began.
    public func starFormationRate(_ theta: [Double], lookback: Double) -> Double {
        let h = sfh(theta), t = h.age - lookback
        guard t >= 0, lookback >= 0 else { return 0 }
        return t / h.tau * exp(-t / h.tau) / (h.tau * DelayedTauSFH.p2(h.age / h.tau))
    }

    /// Solves P₂(t/τ) = q·P₂(t_age/τ) for the time t since star formation began (P₂ rises
    /// monotonically, P₂′(x) = x e^(−x)) by Newton steps kept inside a shrinking bracket; the
    /// lookback time is t_age − t.
    public func lookbackTime(formedFraction q: Double, _ theta: [Double]) -> Double {
        let h = sfh(theta), top = h.age / h.tau, target = q * DelayedTauSFH.p2(top)
        var (lo, hi, x) = (0.0, top, top * q)
        for _ in 0..<200 {
            let f = DelayedTauSFH.p2(x) - target
            if f < 0 { lo = x } else { hi = x }
            let slope = x * exp(-x)
            var next = slope > 0 ? x - f / slope : .nan
            if !(next > lo && next < hi) { next = (lo + hi) / 2 }
            if abs(next - x) <= 1e-13 * top || hi - lo <= 1e-13 * top { x = next; break }
            x = next
        }
        return h.age - x * h.tau
    }

    public func derivedValues(_ theta: [Double]) -> [Double] { [sfh(theta).sfrWeightedAge / 1e9] }

    /// t_age's prior cut at the limit, its density the same on the smaller range, renormalised.
    public func limitingAge(_ prior: PriorSet, to ageLimit: Double) throws -> PriorSet {
        let j = prior.index(of: .tAge), e = prior.entries[j]
        guard ageLimit < e.prior.high else { return prior }
        guard ageLimit > e.prior.low else {
            throw DigsError.invalidInput(field: "age_of_universe",
                                         problem: "is \(ageLimit) Gyr, at or below the t_age prior's lower end \(e.prior.low) Gyr: no age is possible")
        }
        var limited = prior.entries
        limited[j] = PriorSet.Entry(parameter: .tAge, prior: try Prior(e.prior.distribution, low: e.prior.low, high: ageLimit))
        return try PriorSet(limited)
    }

    public func fitsAge(_ theta: ArraySlice<Double>, in prior: PriorSet, ageLimit: Double) -> Bool {
        theta[theta.startIndex + prior.index(of: .tAge)] <= ageLimit
    }
}
