import DigsCore
import Foundation

/// The instrument the forward model imitates: Gaussian velocity broadening and the exact
/// mean over each of evenly spaced rest-frame pixels (defaults, the paper's:
/// σ = 350 km/s, 138 pixels of 50 Å from 3060 Å).
public struct InstrumentSettings: Settings {
    /// Centre of the first pixel, Å (rest frame, same medium as the SSP grid).
    public var wavelengthStart = 3060.0
    /// Pixel width, Å.
    public var wavelengthStep = 50.0
    /// Number of pixels.
    public var pixels = 138
    /// Gaussian line-of-sight velocity dispersion, km/s (0 = none).
    public var velocityDispersionKms = 350.0

    public static let paper = InstrumentSettings()

    public init() {}

    public init(wavelengthStart: Double, wavelengthStep: Double, pixels: Int,
                velocityDispersionKms: Double) {
        self.wavelengthStart = wavelengthStart
        self.wavelengthStep = wavelengthStep
        self.pixels = pixels
        self.velocityDispersionKms = velocityDispersionKms
    }

    enum CodingKeys: String, CodingKey {
        case wavelengthStart = "wavelength_start", wavelengthStep = "wavelength_step", pixels
        case velocityDispersionKms = "velocity_dispersion_kms"
    }

    public func validate() throws {
        func bad(_ field: String, _ problem: String) -> DigsError { .invalidInput(field: "model.instrument.\(field)", problem: problem) }
        guard wavelengthStart > 0, wavelengthStart.isFinite else { throw bad("wavelength_start", "must be a number > 0 Å (is \(wavelengthStart))") }
        guard wavelengthStep > 0, wavelengthStep.isFinite else { throw bad("wavelength_step", "must be a number > 0 Å (is \(wavelengthStep))") }
        guard pixels >= 2 else { throw bad("pixels", "must be at least 2 (is \(pixels))") }
        guard velocityDispersionKms >= 0, velocityDispersionKms < 5000 else {
            throw bad("velocity_dispersion_kms", "must be in [0, 5000) km/s (is \(velocityDispersionKms))")
        }
    }

    /// Pixel centre wavelengths, Å.
    public var pixelCentres: [Double] { (0..<pixels).map { wavelengthStart + Double($0) * wavelengthStep } }

    /// Pixel edges, Å (pixels + 1 values).
    public var pixelEdges: [Double] { (0...pixels).map { wavelengthStart + (Double($0) - 0.5) * wavelengthStep } }

    /// The wavelength span the SSP grid must cover: the pixel edges widened by the support
    /// of the broadening kernel, e^(±8 σ_v/c) (`InstrumentResponse`), Å.
    public var requiredCoverage: ClosedRange<Double> {
        let v = InstrumentResponse.supportInSigma * velocityDispersionKms / InstrumentResponse.speedOfLight
        return (pixelEdges.first! * exp(-v))...(pixelEdges.last! * exp(v))
    }
}
