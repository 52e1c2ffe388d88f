import DigsCore

/// What real spectra have beyond the noise model, as one part of the observation model that
/// training, the simulated test sets, the likelihood and the MCMC share
/// (`model.observation`: `model_error_dex`, `flux_calibration`, `emission_line_mask`; all
/// absent: the noiseless model plus noise, as the paper).
public struct ObservationNuisances: Codable, Equatable, Sendable {
    /// The model's own error per pixel, dex: added in quadrature to every σ,
    /// σ_eff = √(σ² + e²), in training (as extra noise) and in every observation (simulated or
    /// real) before inference and the MCMC. Stellar-population models miss real spectra by
    /// ~1 % per pixel; without it a spectrum of S/N 200 is held to a precision no model has
    /// (pPXF's examples rescale the noise to χ²/dof = 1 for the same reason).
    public var modelErrorDex: Double?
    public var fluxCalibration: FluxCalibration?
    public var emissionLineMask: EmissionLineMask?

    public init(modelErrorDex: Double? = nil, fluxCalibration: FluxCalibration? = nil, emissionLineMask: EmissionLineMask? = nil) {
        (self.modelErrorDex, self.fluxCalibration, self.emissionLineMask) = (modelErrorDex, fluxCalibration, emissionLineMask)
    }

    public static let none = ObservationNuisances()

    enum CodingKeys: String, CodingKey {
        case modelErrorDex = "model_error_dex", fluxCalibration = "flux_calibration", emissionLineMask = "emission_line_mask"
    }

    public var isEmpty: Bool { modelErrorDex == nil && fluxCalibration == nil && emissionLineMask == nil }

    public func validate() throws {
        if let e = modelErrorDex, !(e > 0 && e < 0.5) {
            throw DigsError.invalidInput(field: "model.observation.model_error_dex", problem: "must be in (0, 0.5) dex (is \(e))")
        }
        try fluxCalibration?.validate()
        try emissionLineMask?.validate()
    }

    /// The nuisances of one pixel grid (rest-frame centres, Å).
    public func onGrid(wavelength: [Double]) -> GridNuisances {
        GridNuisances(modelErrorDex: modelErrorDex, fluxCalibration: fluxCalibration,
                      calibrationBasis: fluxCalibration?.basisTable(pixels: wavelength.count),
                      lineCovered: emissionLineMask?.covered(wavelength: wavelength))
    }
}

/// `ObservationNuisances` on one grid: the line mask resolved to pixels.
public struct GridNuisances: Sendable {
    public let modelErrorDex: Double?
    public let fluxCalibration: FluxCalibration?
    /// Its basis on this grid, [P × K].
    let calibrationBasis: [Double]?
    /// True at the pixels the emission-line mask removes (nil: no line mask).
    public let lineCovered: [Bool]?

    /// After a noise draw of one row (same generator, so a pipeline without nuisances draws as
    /// before): adds the model error e·N(0, 1) to x, then a calibration polynomial, and masks
    /// the line pixels. σ stays the noise's (as a survey reports it): `inflate` gives the σ
    /// that inference and the likelihood use.
    public func draw(x: inout ArraySlice<Float>, mask: inout [UInt8], generator g: inout Xoshiro256StarStar) {
        if let e = modelErrorDex {
            for i in x.indices { x[i] += Float(e * g.nextNormal()) }
        }
        fluxCalibration?.draw(into: &x, table: calibrationBasis, generator: &g)
        maskLines(&mask)
    }

    /// σ (dex) with the model error added in quadrature: what the flow's context and the
    /// likelihood take, for training pairs and observations alike.
    public func inflate<S: MutableCollection<Float>>(_ sigma: inout S) {
        guard let e = modelErrorDex else { return }
        for i in sigma.indices { sigma[i] = Float((Double(sigma[i]) * Double(sigma[i]) + e * e).squareRoot()) }
    }

    /// Masks the line pixels (an observed spectrum's own mask is kept where it is stricter).
    public func maskLines<M: MutableCollection<UInt8>>(_ mask: inout M) where M.Index == Int {
        guard let lineCovered else { return }
        for (j, i) in mask.indices.enumerated() where lineCovered[j] { mask[i] = 0 }
    }
}
