import DigsCore
import Diagnostics
import ForwardModel
import Foundation
import MCMC
import NeuralFlows

extension Array where Element: FloatingPoint {
    /// `n` NaNs: the value of what could not be computed.
    public static func nans(_ n: Int) -> [Element] { [Element](repeating: .nan, count: n) }
}

/// The posterior of one observed galaxy, as `digs infer` stores it: samples of q(θ | x) kept
/// below the age of the Universe at its redshift, weighed against the exact posterior and, where
/// asked, resampled and refined until they are its draws; summaries, derived quantities of every
/// sample, the posterior predictive check and flags. The pieces are `ContextLayout.refusal`,
/// the `ObservationPosterior`, `SpectrumPosterior`, `ImportanceWeights`,
/// `AdaptiveImportanceSampler`, `SampleSummary` and `PredictiveCheck`; this composes them.
/// Parameters θ are in the prior's order and units; spectra are log10 L_λ (L☉/Å) per pixel.
public struct GalaxyPosterior: Sendable {
    /// `samples` draws [S × D] and their log q(θ | x) (nats, renormalised below the age limit).
    public internal(set) var samples: [Double], logProb: [Double]
    public internal(set) var summary: SampleSummary?
    /// Derived quantities per sample [S × Q], Q = `vocabulary.posteriorDerived` (surviving mass, mass-weighted age, SFR and sSFR over 100 Myr, t50, t90).
    public internal(set) var derivedSamples: [Double]
    public internal(set) var derived: SampleSummary?
    /// The star-formation rate (M☉/yr) at each of `SpectrumSimulator.sfhLookbacks`: its 16th,
    /// 50th and 84th percentiles over the samples [3 × T] (NaN when refused), and the truth's [T].
    public internal(set) var sfr: [Double] = .nans(3 * SpectrumSimulator.sfhLookbacks.count)
    public internal(set) var sfrTrue: [Double]?
    /// Predictive median, 16th and 84th percentile spectra.
    public internal(set) var predictive: [[Float]]
    public internal(set) var residual: [Float]
    public internal(set) var chi2 = Double.nan, dof = 0, pValue = Double.nan
    /// log q(θ_true | x) where the truth is known and no age limit truncates the prior.
    public internal(set) var truthLogProb = Double.nan
    /// log w = log p(x | θ) + log p(θ) − log q(θ | x) (+ const) of the first importanceDraws samples.
    public internal(set) var logWeights: [Double] = []
    public internal(set) var importance: ImportanceWeights?
    /// Adaptive importance-sampling rounds that made the stored samples pass k̂ (0: none were
    /// needed; −1: none passed).
    public internal(set) var refinementRounds = 0
    /// The most probable position evaluated (importance draws and refinement rounds) and its
    /// log p(x | θ) + log p(θ) (+ the likelihood's constant): the best fit, and a candidate for
    /// the MCMC's screened start.
    public internal(set) var best: [Double] = [], bestLogProb = -Double.infinity
    public internal(set) var flags: PosteriorFlags = []
    /// Why the flow cannot take this observation (flag 2), in words.
    public internal(set) var refusal: String?

    /// `count` draws of q(θ | x) whose history fits the age of the Universe at the galaxy's
    /// redshift (`fitsAge`; nil: every history does), by rejection in rounds of `count`; log q
    /// renormalised to that region by the accepted fraction; their model spectra when drawing
    /// simulated them. nil when fewer than `count` pass in 100 rounds (q puts < 1 % of its mass there).
    public static func draw(_ posterior: any ObservationPosterior, count: Int, fitsAge: ((ArraySlice<Double>) -> Bool)?,
                     generator g: inout Xoshiro256StarStar) -> (theta: [Double], logProb: [Double], spectra: [Float]?, logShift: Double)? {
        let d = posterior.low.count
        let first = posterior.sample(count: count, generator: &g)
        guard let fitsAge else { return (first.theta, first.logProb, first.spectra, 0) }
        let p = (first.spectra?.count ?? 0) / max(count, 1)
        var theta = [Double](), logProb = [Double](), spectra = [Float](), drawn = 0, passed = 0
        var round = first
        while true {
            drawn += count
            for k in 0..<count where fitsAge(round.theta[(k * d)..<((k + 1) * d)]) {
                passed += 1
                guard logProb.count < count else { continue }
                theta += round.theta[(k * d)..<((k + 1) * d)]
                logProb.append(round.logProb[k])
                if let s = round.spectra { spectra += s[(k * p)..<((k + 1) * p)] }
            }
            if logProb.count == count { break }
            guard drawn < 100 * count else { return nil }
            round = posterior.sample(count: count, generator: &g)
        }
        // q restricted to the histories that fit: q / P(fit), P estimated by the passing fraction.
        let shift = log(Double(drawn) / Double(passed))
        return (theta, logProb.map { $0 + shift }, first.spectra == nil ? nil : spectra, shift)
    }

    /// The importance weights of `count` flow draws (their spectra simulated) against the exact
    /// posterior: stored with their ESS and k̂, flag 8 where k̂ fails.
    @discardableResult
    mutating func weigh(_ exact: SpectrumPosterior, theta: [Double], logProb: [Double], spectra: [Float], count: Int) -> ImportanceWeights {
        let logTarget = exact.logDensity(theta, count: count, spectra: spectra)
        Self.keepBest(theta, logTarget, in: &best, &bestLogProb)
        logWeights = zip(logTarget, logProb).map { $0 - $1 }
        let weights = ImportanceWeights(logWeights: logWeights)
        importance = weights
        if !weights.isReliable { flags.insert(.unreliableFlow) }
        return weights
    }

    /// The SFR percentiles over `samples` [S × D] at every `SpectrumSimulator.sfhLookbacks`, and the truth's.
    static func starFormationHistory(_ samples: [Double], dimensions d: Int, truth: ArraySlice<Double>?,
                                     simulator: SpectrumSimulator) -> (percentiles: [Double], truth: [Double]?) {
        let grid = SpectrumSimulator.sfhLookbacks, s = samples.count / d
        var rates = [[Double]](repeating: [], count: grid.count)
        for i in 0..<s {
            for (k, r) in simulator.starFormationRates(samples[(i * d)..<((i + 1) * d)], lookbacks: grid).enumerated() { rates[k].append(r) }
        }
        let sorted = rates.map { $0.sorted() }
        let percentiles = [16.0, 50, 84].flatMap { q in sorted.map { SampleSummary.percentile(sorted: $0, q) } }
        return (percentiles, truth.map { simulator.starFormationRates($0, lookbacks: grid) })
    }

    /// Keeps the row of `theta` with the highest finite `logTarget` in (best, bestLogProb) when it is higher.
    static func keepBest(_ theta: [Double], _ logTarget: [Double], in best: inout [Double], _ bestLogProb: inout Double) {
        let d = logTarget.isEmpty ? 0 : theta.count / logTarget.count
        guard let i = logTarget.indices.filter({ logTarget[$0].isFinite }).max(by: { logTarget[$0] < logTarget[$1] }),
              logTarget[i] > bestLogProb else { return }
        (best, bestLogProb) = (Array(theta[(i * d)..<((i + 1) * d)]), logTarget[i])
    }

    /// `observation`: the spectrum with σ (model error included) and mask; `ageLimit`: the age
    /// of the Universe at its redshift (Gyr; infinity: none); `thetaTrue`: its true θ when known;
    /// `trainedSigma`: the σ (dex) per pixel a flow that sees x alone was trained with;
    /// `analytic`: the parameter the flow did not learn (log_mass), drawn from its exact
    /// conditional (`AnalyticMassPosterior`).
    public init(observation: NoisySpectrum, ageLimit: Double = .infinity, thetaTrue: ArraySlice<Double>? = nil,
                posterior flow: any PosteriorFlow, analytic: ModelParameter? = nil,
                trainedSigma: [Double]?, simulator: SpectrumSimulator, prior: PriorSet, fluxCalibration: FluxCalibration?,
                settings: InferSettings, generator g: inout Xoshiro256StarStar) {
        let d = prior.count, s = settings.samples, q = simulator.vocabulary.posteriorDerived.count, p = observation.logFlux.count
        let layout = flow.contextLayout
        predictive = [[Float]](repeating: .nans(p), count: 3)
        residual = .nans(p)
        // A refused observation gets NaN samples and flag 2, with the reason.
        func refuse(_ reason: String) -> GalaxyPosterior {
            var refused = self
            refused.refusal = reason
            refused.logWeights = .nans(settings.importanceDraws)
            refused.flags = .invalidInput
            return refused
        }
        (samples, logProb, derivedSamples) = (.nans(s * d), .nans(s), .nans(s * q))
        if let reason = layout.refusal(observation, trainedSigma: trainedSigma) {
            self = refuse(reason)
            return
        }
        let context = layout.encode(observation)
        // A real galaxy is no older than the Universe at its redshift: the prior truncated at
        // that age, under which the exact posterior is the flow's restricted there.
        let noMassBelowAge = String(format: "the flow puts (almost) no posterior mass below the age of the Universe at its redshift (%.2f Gyr)", ageLimit)
        let box = (low: prior.entries.map(\.prior.low), high: prior.entries.map(\.prior.high))
        let limited: PriorSet
        do {
            limited = try simulator.history.limitingAge(prior, to: ageLimit)
        } catch let DigsError.invalidInput(field, problem) {
            self = refuse("\(field) \(problem)")
            return
        } catch {
            self = refuse("\(error)")
            return
        }
        let restricted = limited != prior  // the age bounds this galaxy's histories
        let prior = limited
        let exact = SpectrumPosterior(prior: prior, simulator: simulator, observation: observation, fluxCalibration: fluxCalibration)
        let posterior = observationPosterior(flow: flow, analytic: analytic, context: context, exact: exact,
                                             low: box.low, high: box.high)
        /// log q(θ | this observation) of `count` θ rows (NaN where it cannot say).
        func flowLogProb(_ rows: [Double], _ count: Int) -> [Double] { posterior.logProb(rows, count: count) }
        let resampling = settings.importanceResampling && settings.importanceDraws > 0
        let drawCount = resampling ? settings.importanceDraws : s
        let history = simulator.history
        let fits: ((ArraySlice<Double>) -> Bool)? = restricted ? { history.fitsAge($0, in: prior, ageLimit: ageLimit) } : nil
        guard var draw = Self.draw(posterior, count: drawCount, fitsAge: fits, generator: &g) else {
            self = refuse(noMassBelowAge)
            return
        }
        // Sampling-importance resampling: every draw simulated and weighed, `s` of them kept.
        var resampledSpectra: [Float]?
        if resampling {
            let n = drawCount
            let spectra = draw.spectra ?? simulator.spectra(try! NDArray(shape: [n, d], data: draw.theta)).data
            let weights = weigh(exact, theta: draw.theta, logProb: draw.logProb, spectra: spectra, count: n)
            // Where k̂ fails the weights miss mass of the exact posterior and the resampled
            // posterior would be too narrow: the flow's own first draws are kept instead.
            let u = g.nextUniform()
            let rounds = settings.refinementRounds ?? 0
            if !weights.isReliable && rounds > 0 {
                // Adaptive importance sampling from the flow's weighted draws; the stored samples
                // are the first round's that passes k̂, with the flow's log q at them.
                var sampler = AdaptiveImportanceSampler(box: BoxCoordinates(low: posterior.low, high: posterior.high))
                (sampler.rounds, sampler.draws) = (rounds, n)
                // The flow itself takes a fifth of every round's draws: wherever it covers the exact
                // posterior (it is trained to cover), no round can miss that mass.
                let defensive = AdaptiveImportanceSampler.Defensive(
                    weight: 0.2,
                    draw: { count, g in posterior.sample(count: count, generator: &g).theta },
                    logDensity: flowLogProb)
                // log_mass adds to every log-flux pixel: its exact conditional comes from the
                // model spectrum at any mass (a closed-form Gaussian), so the rounds propose the
                // others only — the amplitude pins the mass far more tightly than they could follow.
                let k = prior.index(of: .logMass)
                let conditional = AdaptiveImportanceSampler.GaussianConditional(index: k) { rows, count in
                    let spectra = simulator.spectra(try! NDArray(shape: [count, d], data: rows)).data
                    return (0..<count).map { r in
                        guard exact.prior.logDensity(rows[(r * d)..<((r + 1) * d)]) > -.infinity else { return nil }
                        return exact.massConditional(model: spectra[(r * p)..<((r + 1) * p)], logMass: rows[r * d + k])
                    }
                }
                var (best, bestLogProb) = (self.best, self.bestLogProb)
                let refined = sampler.refine(theta: draw.theta, logWeights: logWeights, logTarget: { rows, count in
                    let logTarget = exact.logDensity(rows, count: count, spectra: simulator.spectra(try! NDArray(shape: [count, d], data: rows)).data)
                    Self.keepBest(rows, logTarget, in: &best, &bestLogProb)
                    return logTarget
                }, defensive: defensive, conditional: exact.prior.analyticConditionalProblem(.logMass) == nil ? conditional : nil, generator: &g)
                (self.best, self.bestLogProb) = (best, bestLogProb)
                if let refined {
                    let chosen = ImportanceWeights.systematicResample(logWeights: refined.logWeights, count: s, uniform: u)
                    let theta = chosen.flatMap { refined.theta[($0 * d)..<(($0 + 1) * d)] }
                    let logProb = flowLogProb(theta, s).map { $0 + draw.logShift }
                    draw = (theta: theta, logProb: logProb, spectra: nil, logShift: draw.logShift)
                    resampledSpectra = simulator.spectra(try! NDArray(shape: [s, d], data: theta)).data
                    flags.remove(.unreliableFlow)
                    refinementRounds = refined.rounds
                } else {
                    refinementRounds = -1
                }
            }
            if refinementRounds <= 0 {
                let chosen = weights.isReliable ? ImportanceWeights.systematicResample(logWeights: logWeights, count: s, uniform: u)
                                                : Array(0..<s)
                let theta: [Double] = chosen.flatMap { draw.theta[($0 * d)..<(($0 + 1) * d)] }
                let logProb: [Double] = chosen.map { draw.logProb[$0] }
                draw = (theta: theta, logProb: logProb, spectra: nil, logShift: draw.logShift)
                resampledSpectra = chosen.flatMap { spectra[($0 * p)..<(($0 + 1) * p)] }
            }
        }
        // A flow that gives non-finite draws (damaged weights) has no posterior for this galaxy:
        // invalid, never a quiet NaN with flag 0.
        guard draw.theta.allSatisfy(\.isFinite), draw.logProb.allSatisfy(\.isFinite) else {
            self = refuse("the flow gave non-finite draws (NaN or infinite θ or log q)")
            return
        }
        samples = draw.theta
        logProb = draw.logProb
        let summary = SampleSummary(samples: samples, logProb: logProb, dimensions: d)
        self.summary = summary
        let derivedValues = simulator.derived(try! NDArray(shape: [s, d], data: samples))
        let columns = simulator.vocabulary.posteriorDerived.map { derivedValues[$0.name]! }  // posteriorDerived ⊂ derived
        derivedSamples = (0..<s).flatMap { i in columns.map { $0[i] } }
        derived = SampleSummary(samples: derivedSamples, logProb: logProb, dimensions: q)
        (sfr, sfrTrue) = Self.starFormationHistory(samples, dimensions: d, truth: thetaTrue, simulator: simulator)
        if let thetaTrue, ageLimit == .infinity {
            truthLogProb = flowLogProb(Array(thetaTrue), 1)[0]
        }
        // The flow's own prior box (equal to the pipeline's: `InferStage.checkCompatible`).
        if !PosteriorFlags.priorEdges(p50: summary.p50, low: posterior.low, high: posterior.high).isEmpty {
            flags.insert(.medianAtPriorEdge)
        }
        // The first draws' model spectra, simulated once, serve the predictive check (the first
        // ppcSamples) and the importance weights (the first importanceDraws); independent draws.
        let m = settings.ppcSamples, w = resampling ? 0 : settings.importanceDraws, k = max(m, w)
        guard k > 0 else { return }
        let spectra = resampledSpectra ?? draw.spectra.map { Array($0[0..<(k * p)]) }
            ?? simulator.spectra(try! NDArray(shape: [k, d], data: Array(samples[0..<(k * d)]))).data
        if w > 0 {
            weigh(exact, theta: Array(samples[0..<(w * d)]), logProb: Array(logProb[0..<w]), spectra: Array(spectra[0..<(w * p)]), count: w)
        }
        guard m > 0 else { return }
        // Each draw's model as the observation sees it (through its calibration given θ) and its
        // χ² under the observation model (the calibration marginalised).
        let drawn = (0..<m).map { spectra[($0 * p)..<(($0 + 1) * p)] }
        let check = PredictiveCheck(observation: observation, spectra: drawn.flatMap { exact.observed(model: $0) }, draws: m,
                                    discrepancies: exact.calibration == nil ? nil : drawn.map { exact.chiSquare(model: $0) })
        predictive = [check.median, check.p16, check.p84]
        residual = check.residual
        (chi2, dof, pValue) = (check.chi2, check.dof, check.pValue)
        if pValue < settings.ppcPValue { flags.insert(.outOfDistribution) }
    }
}
