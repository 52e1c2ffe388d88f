import DigsCore

/// What real spectra have beyond the noise model, as one part of the observation model that
/// training, the simulated test sets, the likelihood and the MCMC share (`augment.flux_calibration`,
/// `augment.emission_line_mask`; both absent: the noiseless model plus noise, as the paper).
public struct ObservationNuisances: Codable, Equatable, Sendable {
    public var fluxCalibration: FluxCalibration?
    public var emissionLineMask: EmissionLineMask?

    public init(fluxCalibration: FluxCalibration? = nil, emissionLineMask: EmissionLineMask? = nil) {
        (self.fluxCalibration, self.emissionLineMask) = (fluxCalibration, emissionLineMask)
    }

    public static let none = ObservationNuisances()

    enum CodingKeys: String, CodingKey { case fluxCalibration = "flux_calibration", emissionLineMask = "emission_line_mask" }

    public var isEmpty: Bool { fluxCalibration == nil && emissionLineMask == nil }

    /// The nuisances of one pixel grid (rest-frame centres, Å).
    public func onGrid(wavelength: [Double]) -> GridNuisances {
        GridNuisances(fluxCalibration: fluxCalibration, lineCovered: emissionLineMask?.covered(wavelength: wavelength))
    }
}

/// `ObservationNuisances` on one grid: the line mask resolved to pixels.
public struct GridNuisances: Sendable {
    public let fluxCalibration: FluxCalibration?
    /// True at the pixels the emission-line mask removes (nil: no line mask).
    public let lineCovered: [Bool]?

    /// After a noise draw of one row (same generator, so a pipeline without nuisances draws as
    /// before): adds a calibration polynomial to x and masks the line pixels.
    public func draw(x: inout ArraySlice<Float>, mask: inout [UInt8], generator g: inout Xoshiro256StarStar) {
        fluxCalibration?.draw(into: &x, generator: &g)
        maskLines(&mask)
    }

    /// Masks the line pixels (an observed spectrum's own mask is kept where it is stricter).
    public func maskLines<M: MutableCollection<UInt8>>(_ mask: inout M) where M.Index == Int {
        guard let lineCovered else { return }
        for (j, i) in mask.indices.enumerated() where lineCovered[j] { mask[i] = 0 }
    }
}
