import DigsCore

/// The observation model (`model.observation` of a pipeline file): how a noiseless model
/// spectrum becomes data — the noise and the nuisances of real spectra (model error,
/// flux-calibration polynomial, emission-line mask). One section that augment (training
/// pairs), observe (simulated test sets), ingest's consumers, infer (the likelihood of the
/// importance weights) and mcmc all read, so a change of it re-runs each of them.
public struct ObservationModel: Settings {
    /// The noise per pixel (the paper: 5 %, log-Gaussian).
    public var noise = NoiseModel.paper
    /// The model's error per pixel (dex), in quadrature with the noise (absent: none).
    public var modelErrorDex: Double? = nil
    /// A flux-calibration polynomial drawn for every simulated spectrum (absent: none).
    public var fluxCalibration: FluxCalibration? = nil
    /// Pixels near strong emission lines masked in every pair and every observation (absent: none).
    public var emissionLineMask: EmissionLineMask? = nil

    /// The paper's observation model: 5 % log-Gaussian noise and nothing else.
    public static let paper = ObservationModel()

    public init() {}

    public init(noise: NoiseModel, nuisances: ObservationNuisances = .none) {
        self.noise = noise
        (modelErrorDex, fluxCalibration, emissionLineMask) = (nuisances.modelErrorDex, nuisances.fluxCalibration, nuisances.emissionLineMask)
    }

    enum CodingKeys: String, CodingKey {
        case noise, modelErrorDex = "model_error_dex", fluxCalibration = "flux_calibration", emissionLineMask = "emission_line_mask"
    }

    /// The nuisances these settings add to the noise.
    public var nuisances: ObservationNuisances {
        ObservationNuisances(modelErrorDex: modelErrorDex, fluxCalibration: fluxCalibration, emissionLineMask: emissionLineMask)
    }

    /// Checks what does not depend on the spectra.
    public func validate() throws {
        try nuisances.validate()
        if emissionLineMask != nil && !noise.isHeteroscedastic {
            throw DigsError.invalidInput(field: "model.observation.emission_line_mask",
                                         problem: "needs a noise model with masks (model.observation.noise.model: heteroscedastic): a flow that sees x alone is trained on complete spectra")
        }
    }

    /// Checks the settings for spectra of `pixels` pixels.
    public func validate(pixels: Int) throws {
        try validate()
        try noise.validate(pixels: pixels)
    }
}
