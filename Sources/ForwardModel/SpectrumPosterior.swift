import DigsCore

/// The exact posterior of one observed spectrum under the forward model, up to a constant:
///
///     log p(θ | x) = log p(θ) + log L(x | θ),   log L = −½ Σ_usable ((x_j − f_j(θ))/σ_j)²,
///
/// with p(θ) the pipeline's `PriorSet` density (every prior kind; −∞ outside the support) and f
/// the same `SpectrumSimulator` the flow was trained on. The reference the MCMC samples.
/// With a `FluxCalibration`, χ² is the calibration-marginalised one (`CalibrationMarginal`), as
/// the flow marginalises the polynomial by seeing it drawn in training.
public struct SpectrumPosterior: Sendable {
    public let prior: PriorSet
    public let simulator: SpectrumSimulator
    public let observation: NoisySpectrum
    /// The calibration polynomial integrated out (nil: none in the observation model).
    public let calibration: CalibrationMarginal?

    public init(prior: PriorSet, simulator: SpectrumSimulator, observation: NoisySpectrum, fluxCalibration: FluxCalibration? = nil) {
        (self.prior, self.simulator, self.observation) = (prior, simulator, observation)
        calibration = fluxCalibration?.marginal(for: observation)
    }

    /// χ² of the observation against a model spectrum, the calibration marginalised when there is one.
    public func chiSquare<M: RandomAccessCollection<Float>>(model: M) -> Double where M.Index == Int {
        calibration?.chiSquare(model: model) ?? observation.chiSquare(model: model)
    }

    /// The model spectrum as the observation sees it: through its most probable calibration
    /// given the model (itself when there is no calibration).
    public func observed<M: RandomAccessCollection<Float>>(model: M) -> [Float] where M.Index == Int {
        calibration?.calibrated(model: model) ?? Array(model)
    }

    /// The exact conditional posterior of log_mass given the other parameters, from the model
    /// spectrum at any log_mass m₀: log_mass adds to every log-flux pixel (f = m + g(others)), so
    /// χ² is exactly quadratic in a shift s of the model, χ²(s) = χ²(0) − 2bs + as² (the
    /// calibration marginal too: generalised least squares), and under a uniform prior the
    /// conditional is N(m₀ + b/a, 1/a) truncated to the prior's range. (mean, sd) in dex; nil
    /// where log_mass's prior is not uniform or χ² is not finite.
    public func massConditional<M: RandomAccessCollection<Float>>(model: M, logMass m0: Double) -> (mean: Double, sd: Double)? where M.Index == Int {
        guard prior.analyticConditionalProblem(.logMass) == nil else { return nil }
        let (a, b) = calibration?.shiftMoments(model: model) ?? observation.shiftMoments(model: model)
        guard a > 0, a.isFinite, b.isFinite else { return nil }
        return (m0 + b / a, 1 / a.squareRoot())
    }

    /// log p(θ | x) + const for `count` positions [count × D] (row-major), each simulated on one
    /// thread in one batch; −∞ outside the prior's support or where the model is not finite.
    public func logDensity(_ positions: [Double], count: Int) -> [Double] {
        let d = prior.count
        var out = [Double](repeating: -.infinity, count: count)
        // Only positions inside the prior's support are simulated.
        let inside = (0..<count).filter { prior.logDensity(positions[($0 * d)..<(($0 + 1) * d)]) > -.infinity }
        guard !inside.isEmpty else { return out }
        let rows = inside.flatMap { positions[($0 * d)..<(($0 + 1) * d)] }
        let spectra = simulator.spectra(try! NDArray(shape: [inside.count, d], data: rows)).data
        for (r, value) in zip(inside, logDensity(rows, count: inside.count, spectra: spectra)) { out[r] = value }
        return out
    }

    /// log p(θ | x) + const for `count` positions whose model spectra [count × P] are already
    /// simulated (the same `simulator`'s).
    public func logDensity(_ positions: [Double], count: Int, spectra: [Float]) -> [Double] {
        let d = prior.count, p = observation.pixels
        precondition(spectra.count == count * p, "one model spectrum per position")
        return (0..<count).map { r in
            Self.combine(prior.logDensity(positions[(r * d)..<((r + 1) * d)]), chiSquare(model: spectra[(r * p)..<((r + 1) * p)]))
        }
    }

    static func combine(_ logPrior: Double, _ chi2: Double) -> Double {
        logPrior > -.infinity && chi2.isFinite ? logPrior - chi2 / 2 : -.infinity
    }
}
