import DigsCore
import ForwardModel
import Foundation
import MCMC
import NeuralFlows

/// The estimated posterior q(θ | x) of one observation over every parameter of the pipeline (in
/// its order): what `digs infer` draws from, weighs against the exact posterior and refines. A
/// flow conditioned on the observation (`FlowObservationPosterior`), or a flow over all but
/// log_mass completed by log_mass's exact conditional (`AnalyticMassPosterior`).
public protocol ObservationPosterior {
    /// The prior box per parameter; every draw lies inside it.
    var low: [Double] { get }
    var high: [Double] { get }
    /// `count` draws [count × D] with their log q(θ | x), and the model spectra [count × P] of
    /// the draws where drawing simulated them (nil otherwise).
    func sample(count: Int, generator: inout Xoshiro256StarStar) -> (theta: [Double], logProb: [Double], spectra: [Float]?)
    /// log q(θ | x) of `count` rows [count × D] (NaN where it cannot say).
    func logProb(_ rows: [Double], count: Int) -> [Double]
}

/// q(θ | x) of one observation for a flow: the flow completed by log_mass's exact conditional
/// where it leaves that parameter out (`analytic`: log_mass), else the flow itself; `context`: the
/// observation encoded for the flow; `low`/`high`: the pipeline's prior box (not truncated at
/// an age limit, like the flow's).
public func observationPosterior(flow: any PosteriorFlow, analytic: ModelParameter?, context: [Float], exact: SpectrumPosterior,
                                 low: [Double], high: [Double]) -> any ObservationPosterior {
    guard let analytic else { return FlowObservationPosterior(flow: flow, context: context) }
    return AnalyticMassPosterior(flow: flow, context: context, exact: exact, massIndex: exact.prior.index(of: analytic), low: low, high: high)
}

/// A flow over every parameter, conditioned on the observation's context vector.
public struct FlowObservationPosterior: ObservationPosterior {
    public let flow: any PosteriorFlow
    /// The observation encoded as the flow's context.
    public let context: [Float]

    public init(flow: any PosteriorFlow, context: [Float]) { (self.flow, self.context) = (flow, context) }

    public var low: [Double] { flow.priorLow }
    public var high: [Double] { flow.priorHigh }

    public func sample(count: Int, generator g: inout Xoshiro256StarStar) -> (theta: [Double], logProb: [Double], spectra: [Float]?) {
        let drawn = flow.sample(x: context[...], count: count, generator: &g)
        return (drawn.theta.data, drawn.logProb, nil)
    }

    public func logProb(_ rows: [Double], count: Int) -> [Double] {
        let d = flow.parameterNames.count
        let x = try! NDArray(shape: [count, context.count], data: (0..<count).flatMap { _ in context })  // count rows of the context
        return (try? flow.logProb(theta: NDArray(shape: [count, d], data: rows), x: x)) ?? .nans(count)
    }
}

/// q(θ | x) = q(others | x) · p(log_mass | others, x): a flow over every parameter but log_mass,
/// and log_mass drawn from its exact conditional posterior given the others
/// (`SpectrumPosterior.massConditional`: log_mass shifts every log-flux pixel alike, so under
/// its uniform prior the conditional is a Gaussian truncated to the prior's range). The
/// amplitude pins log_mass far more tightly (to ~10⁻³ dex at the quickstart's S/N) than a flow
/// resolves, and this direction of the exact posterior is then exact by construction: the
/// importance weight p(θ | x)/q(θ | x) depends on the other parameters alone.
public struct AnalyticMassPosterior: ObservationPosterior {
    /// The flow over the other parameters, in the pipeline's order without log_mass.
    public let flow: any PosteriorFlow
    public let context: [Float]
    /// The exact posterior of this observation (prior, forward model, noise, calibration).
    public let exact: SpectrumPosterior
    /// log_mass's index in θ.
    public let massIndex: Int
    /// The pipeline's prior box (not truncated at an age limit, like the flow's).
    public let low: [Double], high: [Double]

    public init(flow: any PosteriorFlow, context: [Float], exact: SpectrumPosterior, massIndex: Int, low: [Double], high: [Double]) {
        (self.flow, self.context, self.exact, self.massIndex, self.low, self.high) = (flow, context, exact, massIndex, low, high)
    }
    var massRange: (low: Double, high: Double) { (low[massIndex], high[massIndex]) }

    /// θ rows [count × D] from rows of the others [count × (D − 1)] and log_mass values.
    func completed(_ others: [Double], masses: [Double]) -> [Double] {
        let k = massIndex, d1 = others.count / max(masses.count, 1)
        var rows = [Double]()
        rows.reserveCapacity(masses.count * (d1 + 1))
        for (r, m) in masses.enumerated() {
            rows += others[(r * d1)..<(r * d1 + k)]
            rows.append(m)
            rows += others[(r * d1 + k)..<((r + 1) * d1)]
        }
        return rows
    }

    /// The rows without their log_mass column.
    func others(_ rows: [Double], count: Int) -> [Double] {
        let d = rows.count / max(count, 1)
        return (0..<count).flatMap { r in (0..<d).filter { $0 != massIndex }.map { rows[r * d + $0] } }
    }

    /// log_mass's exact conditional (mean, sd in dex) for each row from its model spectrum at
    /// that row's log_mass; nil where it is undefined (a non-finite model).
    func conditionals(_ rows: [Double], count: Int, spectra: [Float]) -> [(mean: Double, sd: Double)?] {
        let d = rows.count / max(count, 1), p = spectra.count / max(count, 1)
        return (0..<count).map { r in exact.massConditional(model: spectra[(r * p)..<((r + 1) * p)], logMass: rows[r * d + massIndex]) }
    }

    public func sample(count: Int, generator g: inout Xoshiro256StarStar) -> (theta: [Double], logProb: [Double], spectra: [Float]?) {
        let drawn = flow.sample(x: context[...], count: count, generator: &g)
        // Each draw simulated once at the middle of the mass range; log_mass's conditional is the
        // same from any mass, and the model at the drawn mass is that one shifted.
        let (lo, hi) = massRange, m0 = (lo + hi) / 2
        var theta = completed(drawn.theta.data, masses: [Double](repeating: m0, count: count))
        var spectra = exact.simulator.spectra(try! NDArray(shape: [count, low.count], data: theta)).data
        let moments = conditionals(theta, count: count, spectra: spectra)
        let d = low.count, p = spectra.count / max(count, 1)
        var logProb = drawn.logProb
        for r in 0..<count {
            // Without a conditional (a non-finite model, whose exact posterior is 0) the mass is
            // drawn from its prior: still a proper density, and the draw gets weight 0.
            let m: Double, logDensity: Double
            if let c = moments[r], let x = TruncatedNormal.draw(mean: c.mean, sd: c.sd, low: lo, high: hi, generator: &g) {
                (m, logDensity) = (x, TruncatedNormal.logDensity(x, mean: c.mean, sd: c.sd, low: lo, high: hi))
            } else {
                (m, logDensity) = (lo + (hi - lo) * g.nextUniform(), -log(hi - lo))
            }
            theta[r * d + massIndex] = m
            logProb[r] += logDensity
            let shift = Float(m - m0)
            for j in (r * p)..<((r + 1) * p) { spectra[j] += shift }
        }
        return (theta, logProb, spectra)
    }

    public func logProb(_ rows: [Double], count: Int) -> [Double] {
        let rest = FlowObservationPosterior(flow: flow, context: context).logProb(others(rows, count: count), count: count)
        let spectra = exact.simulator.spectra(try! NDArray(shape: [count, low.count], data: rows)).data
        let moments = conditionals(rows, count: count, spectra: spectra)
        let (lo, hi) = massRange, d = low.count
        return (0..<count).map { r in
            let m = rows[r * d + massIndex]
            guard let c = moments[r] else { return rest[r] - log(hi - lo) }
            return rest[r] + TruncatedNormal.logDensity(m, mean: c.mean, sd: c.sd, low: lo, high: hi)
        }
    }
}
