import DigsCore

/// Simple stellar population spectra on an age × metallicity grid, per solar mass formed,
/// with optional nebular grids: the input of the forward model.
///
/// Invariants: `flux.shape == [metallicity.count, age.count, wavelength.count]`,
/// `livingMassFraction.shape == [metallicity.count, age.count]`, wavelengths and ages strictly
/// increasing, metallicities strictly increasing.
public struct SSPLibrary: Sendable {
    /// Wavelength of each sample, Å.
    public var wavelength: [Double]
    /// "air" or "vacuum".
    public var medium: String
    /// Age of each SSP, yr (the first may be 0).
    public var age: [Double]
    /// Z / Z☉ of each metallicity grid.
    public var metallicity: [Double]
    /// Z☉ as a mass fraction, as assumed by the grids (BC03: 0.02).
    public var solarMetallicity: Double
    /// L_λ per solar mass formed, L☉ Å⁻¹ M☉⁻¹, shape [Z, age, wavelength].
    public var flux: NDArray<Float>
    /// Fraction of the mass formed still in living stars, shape [Z, age].
    public var livingMassFraction: NDArray<Double>
    /// Nebular emission grids, when the source has them.
    public var nebular: NebularGrids?
    /// Where the grids came from, for provenance (package, version, file names).
    public var source: String
    /// sha256 of the source archive.
    public var sourceDigest: String
    /// The initial mass function of the grids.
    public var imf: String

    public init(wavelength: [Double], medium: String, age: [Double], metallicity: [Double],
                solarMetallicity: Double, flux: NDArray<Float>, livingMassFraction: NDArray<Double>,
                nebular: NebularGrids?, source: String, sourceDigest: String, imf: String) throws {
        self.wavelength = wavelength
        self.medium = medium
        self.age = age
        self.metallicity = metallicity
        self.solarMetallicity = solarMetallicity
        self.flux = flux
        self.livingMassFraction = livingMassFraction
        self.nebular = nebular
        self.source = source
        self.sourceDigest = sourceDigest
        self.imf = imf
        try validate()
    }

    /// Checks the invariants; `source` names the library in errors.
    public func validate() throws {
        func fail(_ field: String, _ problem: String) -> DigsError {
            .invalidProduct(path: source, field: field, problem: problem)
        }
        guard flux.shape == [metallicity.count, age.count, wavelength.count] else {
            throw fail("flux", "has shape \(flux.shape), expected [\(metallicity.count), \(age.count), \(wavelength.count)]")
        }
        guard livingMassFraction.shape == [metallicity.count, age.count] else {
            throw fail("living mass fraction", "has shape \(livingMassFraction.shape), expected [\(metallicity.count), \(age.count)]")
        }
        for (name, values) in [("wavelength", wavelength), ("age", age), ("metallicity", metallicity)] {
            guard values.count >= 2, zip(values, values.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw fail(name, "must hold at least two strictly increasing values")
            }
        }
        guard flux.data.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw fail("flux", "holds negative or non-finite values")
        }
        if let nebular { try nebular.validate(metallicities: metallicity.count, wavelengths: wavelength.count, source: source) }
    }

    /// The spectrum of SSP (z, a) as a contiguous slice of `flux`.
    public func spectrum(metallicity z: Int, age a: Int) -> ArraySlice<Float> {
        let n = wavelength.count
        let start = (z * age.count + a) * n
        return flux.data[start..<(start + n)]
    }
}

/// Nebular line and continuum luminosities of young populations (Cloudy grids), per solar
/// mass formed, on a log U × metallicity × age grid.
public struct NebularGrids: Sendable {
    /// Ionisation parameters log10 U of the grids.
    public var logU: [Double]
    /// Ages of the nebular grids, yr.
    public var age: [Double]
    /// Wavelength of each emission line, Å (same medium as the stellar grid).
    public var lineWavelength: [Double]
    /// Line luminosity, L☉ M☉⁻¹, shape [logU, Z, age, line].
    public var lineLuminosity: NDArray<Float>
    /// Nebular continuum L_λ, L☉ Å⁻¹ M☉⁻¹, on the stellar wavelengths, shape [logU, Z, age, wavelength].
    public var continuum: NDArray<Float>

    public init(logU: [Double], age: [Double], lineWavelength: [Double], lineLuminosity: NDArray<Float>,
                continuum: NDArray<Float>) {
        self.logU = logU
        self.age = age
        self.lineWavelength = lineWavelength
        self.lineLuminosity = lineLuminosity
        self.continuum = continuum
    }

    func validate(metallicities: Int, wavelengths: Int, source: String) throws {
        guard lineLuminosity.shape == [logU.count, metallicities, age.count, lineWavelength.count] else {
            throw DigsError.invalidProduct(path: source, field: "nebular line luminosity",
                                           problem: "has shape \(lineLuminosity.shape), expected [\(logU.count), \(metallicities), \(age.count), \(lineWavelength.count)]")
        }
        guard continuum.shape == [logU.count, metallicities, age.count, wavelengths] else {
            throw DigsError.invalidProduct(path: source, field: "nebular continuum",
                                           problem: "has shape \(continuum.shape), expected [\(logU.count), \(metallicities), \(age.count), \(wavelengths)]")
        }
    }
}
