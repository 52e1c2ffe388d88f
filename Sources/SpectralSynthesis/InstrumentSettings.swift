import DigsCore
import Foundation

/// The instrument the forward model imitates: Gaussian velocity broadening and the exact
/// mean over each of evenly spaced rest-frame pixels (DESIGN §3 defaults:
/// σ = 350 km/s, 138 pixels of 50 Å from 3060 Å).
public struct InstrumentSettings: Codable, Equatable, Sendable {
    /// Centre of the first pixel, Å (rest frame, same medium as the SSP grid).
    public var wavelengthStart: Double
    /// Pixel width, Å.
    public var wavelengthStep: Double
    /// Number of pixels.
    public var pixels: Int
    /// Gaussian line-of-sight velocity dispersion, km/s (0 = none).
    public var velocityDispersionKms: Double

    public static let paper = InstrumentSettings(wavelengthStart: 3060, wavelengthStep: 50, pixels: 138,
                                                 velocityDispersionKms: 350)

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

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self.paper
        wavelengthStart = try c.decodeIfPresent(Double.self, forKey: .wavelengthStart) ?? d.wavelengthStart
        wavelengthStep = try c.decodeIfPresent(Double.self, forKey: .wavelengthStep) ?? d.wavelengthStep
        pixels = try c.decodeIfPresent(Int.self, forKey: .pixels) ?? d.pixels
        velocityDispersionKms = try c.decodeIfPresent(Double.self, forKey: .velocityDispersionKms) ?? d.velocityDispersionKms
        try validate()
    }

    public func validate() throws {
        func bad(_ field: String, _ problem: String) -> DigsError { .invalidInput(field: "instrument.\(field)", problem: problem) }
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
