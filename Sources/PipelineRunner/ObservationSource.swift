import DigsCore
import ForwardModel
import Foundation
import ProductIO

/// Observation ids as the input gave them: integers (simulated sets: the row) or strings.
public enum ObservationIDs: Sendable, Equatable {
    case integers([Int64])
    case strings([String])

    public var count: Int {
        switch self {
        case let .integers(v): return v.count
        case let .strings(v): return v.count
        }
    }

    /// The ids at the given positions.
    public func subset(_ indices: [Int]) -> ObservationIDs {
        switch self {
        case let .integers(v): return .integers(indices.map { v[$0] })
        case let .strings(v): return .strings(indices.map { v[$0] })
        }
    }

    /// The id at position i as text.
    public func text(at i: Int) -> String {
        switch self {
        case let .integers(v): return String(v[i])
        case let .strings(v): return v[i]
        }
    }

    /// Reads the `ids` dataset of a product (int64 or string).
    public static func read(_ product: Product) throws -> ObservationIDs {
        let set = try product.dataset("ids", rank: 1)
        if set.dtype == .string { return .strings(try set.readStrings()) }
        return .integers(try set.read(as: Int64.self).data)
    }

    /// Writes them as the `ids` dataset of a product being written.
    public func write(to writer: ProductWriter) throws {
        switch self {
        case let .integers(v):
            try writer.write("ids", NDArray(shape: [v.count], data: v), axes: ["galaxy"], units: "", description: "observation ids")
        case let .strings(v):
            try writer.writeStrings("ids", v, axis: "galaxy", description: "observation ids")
        }
    }
}

/// A block of observed spectra on the instrument grid, galaxies `first ..< first + count`.
public struct ObservationChunk: Sendable {
    public var first: Int
    public var count: Int
    /// log10 L_λ, [count × P] row-major, log(L☉/Å).
    public var logFlux: [Float]
    /// 1-σ uncertainty of logFlux, [count × P], dex.
    public var sigma: [Float]
    /// 1 = usable pixel, [count × P].
    public var mask: [UInt8]
    /// True parameters when known, [count × D].
    public var thetaTrue: [Double]?
    /// The age of the Universe at each galaxy's redshift, Gyr (real spectra): t_age's upper bound.
    public var ageLimit: [Double]? = nil

    /// Galaxy i of the chunk (0-based within it): its spectrum, σ and mask.
    public func observation(_ i: Int) -> NoisySpectrum {
        let p = logFlux.count / max(count, 1)
        return NoisySpectrum(logFlux: logFlux[(i * p)..<((i + 1) * p)], sigma: sigma[(i * p)..<((i + 1) * p)],
                             mask: mask[(i * p)..<((i + 1) * p)])
    }

    /// Galaxy i's true θ, when known.
    public func truth(_ i: Int) -> ArraySlice<Double>? {
        thetaTrue.map { t in let d = t.count / max(count, 1); return t[(i * d)..<((i + 1) * d)] }
    }
}

/// Observed spectra read in chunks from an `observation_set`, or made from a `sed_set` of
/// noiseless test spectra by one noise draw each (stream `.observation`, index = row, so
/// any chunking or sharding gives the same observations) with the truth kept. The pipeline's
/// `ObservationNuisances` apply to both: a simulated draw gets the model error and its
/// calibration polynomial after the noise, and every observation, simulated or real, has the
/// model error in its σ and the emission-line pixels masked.
public final class ObservationSource {
    public let product: Product
    public let count: Int
    public let pixels: Int
    /// Rest-frame pixel wavelengths, Å.
    public let wavelength: [Double]
    public let ids: ObservationIDs
    /// Names and units of the true parameters, when the truth is known.
    public let parameterNames: [String]?
    public let parameterUnits: [String]?
    /// For a sed_set: the noise model and seed of the draws.
    public let noise: NoiseModel?
    /// The nuisances on this grid (calibration drawn for simulated sets; line mask for all).
    public let nuisances: GridNuisances
    let streams: RandomStreams
    let flux: HDF5Dataset
    let sigmaSet: HDF5Dataset?
    let maskSet: HDF5Dataset?
    let thetaSet: HDF5Dataset?
    let ageSet: HDF5Dataset?

    public var path: String { product.path }

    /// The forward model the spectra were simulated with: a sed_set's, or an observation_set
    /// made by `digs observe` (which records its noise model); nil for real spectra.
    public var modelVersion: Int64? {
        get throws {
            guard try isSimulated || product.file.attribute("noise_model") != nil else { return nil }
            return try ForwardModelVersionRecord.read(product)
        }
    }
    public var isSimulated: Bool { noise != nil }

    /// Opens an observation_set, or a sed_set (then the observation model's noise and `seed`
    /// make the observations).
    public init(path: String, observation: ObservationModel, seed: UInt64) throws {
        let (noise, nuisances) = (observation.noise, observation.nuisances)
        let product = try Product.open(path)
        self.product = product
        switch product.kind {
        case .observationSet:
            self.noise = nil
            sigmaSet = try product.dataset("log_flux_sigma", dtype: .float32, rank: 2)
            maskSet = try product.dataset("mask", rank: 2)
            ids = try ObservationIDs.read(product)
        case .sedSet:
            self.noise = noise
            sigmaSet = nil
            maskSet = nil
            ids = .integers([])
        default:
            throw DigsError.wrongProductKind(path: path, found: product.kind.rawValue, expected: "observation_set or sed_set")
        }
        flux = try product.dataset("log_flux", dtype: .float32, rank: 2)
        (count, pixels) = (flux.shape[0], flux.shape[1])
        wavelength = try product.dataset("wavelength", rank: 1).read(as: Double.self).data
        guard wavelength.count == pixels else {
            throw DigsError.invalidProduct(path: path, field: "wavelength", problem: "has \(wavelength.count) pixels, log_flux \(pixels)")
        }
        self.nuisances = nuisances.onGrid(wavelength: wavelength)
        let thetaName = product.kind == .sedSet ? "theta" : "theta_true"
        thetaSet = product.file.exists(thetaName) ? try product.dataset(thetaName, dtype: .float64, rank: 2) : nil
        ageSet = product.kind == .observationSet && product.file.exists("age_of_universe")
            ? try product.dataset("age_of_universe", dtype: .float64, rank: 1) : nil
        if let ageSet, ageSet.shape[0] != flux.shape[0] {
            throw DigsError.invalidProduct(path: path, field: "age_of_universe", problem: "has \(ageSet.shape[0]) rows, log_flux \(flux.shape[0])")
        }
        parameterNames = try thetaSet.map { try product.parameterNames(of: $0) }
        parameterUnits = try thetaSet?.attribute("units")?.stringsValue
        streams = RandomStreams(seed: seed)
        if let sigmaSet, sigmaSet.shape != flux.shape {
            throw DigsError.invalidProduct(path: path, field: "log_flux_sigma", problem: "has shape \(sigmaSet.shape), log_flux \(flux.shape)")
        }
        if let maskSet, maskSet.shape != flux.shape {
            throw DigsError.invalidProduct(path: path, field: "mask", problem: "has shape \(maskSet.shape), log_flux \(flux.shape)")
        }
        if let thetaSet, thetaSet.shape[0] != count {
            throw DigsError.invalidProduct(path: path, field: thetaName, problem: "has \(thetaSet.shape[0]) rows, log_flux \(count)")
        }
        if ids.count != count && product.kind == .observationSet {
            throw DigsError.invalidProduct(path: path, field: "ids", problem: "has \(ids.count) entries, log_flux \(count) rows")
        }
        if let noise = self.noise { try noise.validate(pixels: pixels) }
    }

    /// The ids of all observations (a sed_set's are its row numbers).
    public var allIDs: ObservationIDs {
        isSimulated ? .integers((0..<count).map(Int64.init)) : ids
    }

    /// Observations `range`, σ with the model error included (`GridNuisances.inflate`), as
    /// inference and the likelihood take them; `reported`: σ as the noise gave it (what
    /// `digs observe` stores, as a survey reports it).
    public func read(_ range: Range<Int>, reported: Bool = false) throws -> ObservationChunk {
        var logFlux: [Float] = try flux.readRows(range).data
        let n = range.count, p = pixels
        let theta: [Double]? = try thetaSet.map { try $0.readRows(range).data }
        if let noise {
            var sigma = [Float](), mask = [UInt8]()
            sigma.reserveCapacity(n * p)
            mask.reserveCapacity(n * p)
            for i in 0..<n {
                var g = streams.generator(.observation, index: UInt64(range.lowerBound + i))
                var row = logFlux[(i * p)..<((i + 1) * p)]
                var rowSigma = [Float](), rowMask = [UInt8]()
                noise.draw(x: &row, sigma: &rowSigma, mask: &rowMask, generator: &g)
                nuisances.draw(x: &row, mask: &rowMask, generator: &g)
                logFlux.replaceSubrange((i * p)..<((i + 1) * p), with: row)
                sigma += rowSigma
                mask += rowMask
            }
            if !reported { nuisances.inflate(&sigma) }
            return ObservationChunk(first: range.lowerBound, count: n, logFlux: logFlux, sigma: sigma, mask: mask, thetaTrue: theta)
        }
        var mask: [UInt8] = try maskSet!.readRows(range).data, sigma: [Float] = try sigmaSet!.readRows(range).data
        for i in 0..<n { nuisances.maskLines(&mask[(i * p)..<((i + 1) * p)]) }
        if !reported { nuisances.inflate(&sigma) }
        let ages: [Double]? = try ageSet.map { try $0.readRows(range).data }
        if let bad = ages?.firstIndex(where: { !($0 > 0) }) {
            throw DigsError.invalidProduct(path: path, field: "age_of_universe", problem: "is \(ages![bad]) Gyr for galaxy \(range.lowerBound + bad); expected a positive age")
        }
        return ObservationChunk(first: range.lowerBound, count: n, logFlux: logFlux, sigma: sigma, mask: mask, thetaTrue: theta,
                                ageLimit: ages)
    }
}

extension ObservationSource {
    /// Refuses a pipeline whose instrument grid (`model.instrument`) is not the observations'
    /// pixel grid: the likelihood compares the model's pixels with the data's one by one, so
    /// another grid would crash on a different count or silently compare shifted wavelengths.
    public func requireGrid(of model: ModelSettings) throws {
        let grid = model.instrument.pixelCentres
        guard Self.sameGrid(grid, wavelength) else {
            throw DigsError.invalidProduct(path: path, field: "wavelength",
                                           problem: "has \(Self.describeGrid(wavelength)); the pipeline's model.instrument grid has \(Self.describeGrid(grid)) — use the pipeline the observations were made or ingested with")
        }
    }

    /// Whether two pixel grids (centres, Å) are the same: as many pixels, each within 10⁻⁶.
    static func sameGrid(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 * $0 }
    }

    /// A pixel grid in words: "138 pixels, 3060.00–9910.00 Å".
    static func describeGrid(_ w: [Double]) -> String {
        w.isEmpty ? "no pixels" : String(format: "%d pixels, %.2f–%.2f Å", w.count, w.first!, w.last!)
    }
}
