import DigsCore
import Foundation
import ProductIO
import Testing

/// Products carry their provenance, validate against their schemas, are written atomically,
/// and bad files give one clear error naming the file and what was expected.
struct ProductTests {
    let validator = SchemaValidator(catalog: try! SchemaCatalog.load())

    @Test func productCarriesProvenanceAndValidates() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("out/theta.h5")
        try writeThetaGrid(to: path, rows: 5, seed: 77)
        let product = try Product.open(path, expecting: .thetaGrid)
        #expect(product.kind == .thetaGrid)
        #expect(product.provenance.seed == 77)
        #expect(product.provenance.config == "{\"n\": 5}")
        #expect(product.provenance.digsVersion == digsVersion)
        #expect(product.provenance.contentDigest.hasPrefix("sha256:"))
        #expect(product.provenance.contentDigest.count == 7 + 64)
        #expect(product.provenance.created.hasSuffix("Z"))
        let report = validator.validate(path: path)
        #expect(report.violations == [])
        // No temporary file is left beside the product.
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path("out"))
        #expect(names == ["theta.h5"])
    }

    @Test func sameContentGivesSameDigest() throws {
        let dir = try TemporaryDirectory()
        try writeThetaGrid(to: dir.path("a.h5"), seed: 3)
        try writeThetaGrid(to: dir.path("b.h5"), seed: 3)
        try writeThetaGrid(to: dir.path("c.h5"), seed: 4)
        let a = try Product.open(dir.path("a.h5")).provenance.contentDigest
        let b = try Product.open(dir.path("b.h5")).provenance.contentDigest
        let c = try Product.open(dir.path("c.h5")).provenance.contentDigest
        #expect(a == b)
        #expect(a != c)
    }

    @Test func modifiedDataIsDetectedByTheDigest() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("theta.h5")
        try writeThetaGrid(to: path)
        do {
            let file = try HDF5File.open(path: path, writable: true)
            try file.dataset("theta").writeHyperslab(NDArray(shape: [1, 1], data: [0.123]), start: [0, 0])
        }
        let report = validator.validate(path: path)
        #expect(report.violations.count == 1)
        #expect(report.violations.first?.contains("content_digest") == true)
        #expect(validator.validate(path: path, verifyDigest: false).isValid)
    }

    @Test func existingProductIsNotOverwrittenWithoutPermission() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("theta.h5")
        try writeThetaGrid(to: path, seed: 1)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: DigsError.alreadyExists(path: path)) { try writeThetaGrid(to: path, seed: 2) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        try writeThetaGrid(to: path, seed: 2, overwrite: true)
        #expect(try Product.open(path).provenance.seed == 2)
    }

    struct Interrupted: Error {}

    @Test func interruptedWriteLeavesNoFileAtTheTarget() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("sed.h5")
        func stage() throws {
            let writer = try ProductWriter(path: path, kind: .sedSet, seed: 1, config: "")
            let d = try writer.createDataset("log_flux", dtype: .float32, shape: [0, 3], axes: ["galaxy", "pixel"],
                                             units: "log(solLum/Angstrom)", description: "x", extendable: true)
            try d.append(NDArray(shape: [2, 3], data: [1, 2, 3, 4, 5, 6] as [Float]))
            throw Interrupted()  // the stage fails half-way; the writer is released uncommitted
        }
        #expect(throws: Interrupted.self) { try stage() }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }

    @Test func interruptedRewriteKeepsThePreviousProduct() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("theta.h5")
        try writeThetaGrid(to: path, seed: 1)
        let digest = try Product.open(path).provenance.contentDigest
        do {
            let writer = try ProductWriter(path: path, kind: .thetaGrid, seed: 2, config: "", overwrite: true)
            try writer.write("theta", NDArray(shape: [1, 1], data: [1.0]), axes: ["galaxy", "parameter"],
                             units: "", description: "partial")
            writer.abandon()
        }
        #expect(try Product.open(path).provenance.contentDigest == digest)
    }

    // MARK: - Bad input

    @Test func missingFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("absent.h5")
        #expect(throws: DigsError.fileNotFound(path: path)) { try Product.open(path) }
    }

    @Test func notAnHDF5File() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("text.h5")
        try "not hdf5\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(throws: DigsError.self) { try Product.open(path) }
        #expect(error == .unreadableFile(path: path, reason: "not an HDF5 file (no HDF5 signature)"))
    }

    @Test func truncatedHDF5File() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("theta.h5")
        try writeThetaGrid(to: path, rows: 2000)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: DigsError.self) { try Product.open(path) }
        guard case let .unreadableFile(p, reason) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(p == path)
        #expect(reason.contains("truncated"))
    }

    @Test func productOfTheWrongKind() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("theta.h5")
        try writeThetaGrid(to: path)
        #expect(throws: DigsError.wrongProductKind(path: path, found: "theta_grid", expected: "sed_set")) {
            try Product.open(path, expecting: .sedSet)
        }
    }

    @Test func newerMajorSchemaVersion() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("theta.h5")
        try writeThetaGrid(to: path)
        try HDF5File.open(path: path, writable: true).setAttribute("schema_version", .string("2.0.0"))
        #expect(throws: DigsError.incompatibleSchemaVersion(path: path, found: "2.0.0", expected: "1.x.x")) {
            try Product.open(path)
        }
        let report = validator.validate(path: path)
        #expect(report.violations.contains { $0.contains("schema_version") && $0.contains("2.0.0") })
    }

    @Test func hdf5FileThatIsNotAProduct() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("plain.h5")
        try HDF5File.create(path: path).close()
        let error = try #require(throws: DigsError.self) { try Product.open(path) }
        #expect(String(describing: error).contains("not a DIGS product"))
        #expect(validator.validate(path: path).violations.count == 8)  // every common root attribute
    }

    @Test func missingDatasetWrongShapeAndWrongDtypeAreEachReported() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("sed.h5")
        let writer = try ProductWriter(path: path, kind: .sedSet, seed: 1, config: "")
        try writer.write("wavelength", NDArray(shape: [3], data: [1.0, 2, 3]), axes: ["pixel"],
                         units: "Angstrom", description: "w")
        try writer.file.dataset("wavelength").setAttribute("medium", .string("air"))
        // log_flux with 4 pixels where wavelength has 3, and float64 instead of float32.
        try writer.write("log_flux", NDArray(shape: [2, 4], data: [Double](repeating: 1, count: 8)),
                         axes: ["galaxy", "pixel"], units: "log(solLum/Angstrom)", description: "x")
        try writer.writeParameterArray("theta", NDArray(shape: [2, 1], data: [1.0, 2]), axes: ["galaxy", "parameter"],
                                       parameterNames: ["log_mass"], parameterUnits: ["log(solMass)"], description: "t")
        try writer.write("log_surviving_mass", NDArray(shape: [2, 1], data: [1.0, 2]), axes: ["galaxy", "x"],
                         units: "log(solMass)", description: "m")
        try writer.commit()
        let v = validator.validate(path: path).violations
        #expect(v.contains("dataset 'log_flux': holds float64, expected float32"))
        #expect(v.contains("dataset 'wavelength': axis 'pixel' has extent 3, but dataset 'log_flux' has 4"))
        #expect(v.contains("dataset 'mass_weighted_age': is missing"))
        #expect(v.contains("dataset 'sfr_weighted_age': is missing"))
        #expect(v.contains { $0.hasPrefix("dataset 'log_surviving_mass': has shape [2, 1] (rank 2)") })
        #expect(v.count == 5)
        // The reader names the file and the dataset.
        let product = try Product.open(path, expecting: .sedSet)
        #expect(throws: DigsError.invalidProduct(path: path, field: "dataset 'log_flux'", problem: "holds float64, expected float32")) {
            try product.dataset("log_flux", dtype: .float32)
        }
        #expect(throws: DigsError.invalidProduct(path: path, field: "dataset 'sfr_weighted_age'", problem: "is missing")) {
            try product.dataset("sfr_weighted_age")
        }
    }

    @Test func everySchemaDecodesAndNamesItsKind() throws {
        let catalog = try SchemaCatalog.load()
        for kind in ProductKind.allCases {
            let schema = catalog.schema(for: kind)
            #expect(schema.kind == kind.rawValue)
            #expect(!schema.datasets.isEmpty)
            for (_, d) in schema.datasets {
                for axis in d.axes { #expect(schema.axes[axis] != nil, "\(kind): axis \(axis) undeclared") }
                #expect(d.units != nil || d.unitsPerAxis != nil, "\(kind): units unspecified")
            }
        }
    }
}
