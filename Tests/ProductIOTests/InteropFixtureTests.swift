import DigsCore
import Foundation
import ProductIO
import Testing

/// Writes products with every dtype for the independent h5py check
/// (`Tests/python/test_h5py_interop.py`, run by `make test` after `swift test`).
///
/// The fixture goes to `$DIGS_INTEROP_DIR` (default `.build/interop`), with `expected.json`
/// holding what was written, so Python compares h5py's reading against Swift's intent.
struct InteropFixtureTests {
    static var outputDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["DIGS_INTEROP_DIR"] {
            return URL(fileURLWithPath: dir)
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/interop")
    }

    @Test func writeFixtureForH5py() throws {
        let dir = Self.outputDirectory
        let path = dir.appendingPathComponent("observation_set.h5").path
        let ids = ["spec-0266-51602-0001", "galaxy β", "g3"]
        let wavelength = [3060.0, 3110.0, 3160.0, 3210.0]
        let logFlux: [Float] = (0..<12).map { Float($0) * 0.125 + 5 }
        let sigma: [Float] = (0..<12).map { _ in 0.0211893 }
        let mask: [UInt8] = [1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1]
        let redshift = [0.05, 0.1, .nan]
        let writer = try ProductWriter(path: path, kind: .observationSet, seed: 123_456_789,
                                       config: "{\"fixture\": true}",
                                       inputs: [ProductInput(role: "source", path: "none", contentDigest: "sha256:00")],
                                       overwrite: true)
        try writer.writeStrings("ids", ids, axis: "galaxy", description: "observation ids")
        try writer.write("wavelength", NDArray(shape: [4], data: wavelength), axes: ["pixel"],
                         units: "Angstrom", description: "rest-frame pixel wavelengths")
        try writer.write("log_flux", NDArray(shape: [3, 4], data: logFlux), axes: ["galaxy", "pixel"],
                         units: "log(solLum/Angstrom)", description: "log10 L_lambda")
        try writer.write("log_flux_sigma", NDArray(shape: [3, 4], data: sigma), axes: ["galaxy", "pixel"],
                         units: "dex", description: "sigma of log_flux")
        try writer.write("mask", NDArray(shape: [3, 4], data: mask), axes: ["galaxy", "pixel"],
                         units: "", description: "1 = usable")
        try writer.write("redshift", NDArray(shape: [3], data: redshift), axes: ["galaxy"],
                         units: "", description: "redshift")
        // Extra datasets beyond the schema, for the remaining dtypes and ranks 3–4.
        try writer.write("extra/int32_r3", NDArray(shape: [2, 2, 2], data: (0..<8).map { Int32($0) - 4 }),
                         axes: ["a", "b", "c"], units: "", description: "int32 rank 3")
        try writer.write("extra/int64_r4", NDArray(shape: [1, 2, 2, 2], data: (0..<8).map { Int64($0) << 40 }),
                         axes: ["a", "b", "c", "d"], units: "", description: "int64 rank 4")
        try writer.commit()

        let validator = SchemaValidator(catalog: try SchemaCatalog.load())
        #expect(validator.validate(path: path).violations == [])

        func entry(_ dtype: String, _ shape: [Int], _ data: Any, _ units: String) -> [String: Any] {
            ["dtype": dtype, "shape": shape, "data": data, "units": units]
        }
        var datasets: [String: Any] = [:]
        datasets["ids"] = entry("string", [3], ids, "")
        datasets["wavelength"] = entry("float64", [4], wavelength, "Angstrom")
        datasets["log_flux"] = entry("float32", [3, 4], logFlux.map(Double.init), "log(solLum/Angstrom)")
        datasets["log_flux_sigma"] = entry("float32", [3, 4], sigma.map(Double.init), "dex")
        datasets["mask"] = entry("uint8", [3, 4], mask.map(Int.init), "")
        datasets["redshift"] = entry("float64", [3], [0.05, 0.1, "nan"] as [Any], "")
        datasets["extra/int32_r3"] = entry("int32", [2, 2, 2], (0..<8).map { $0 - 4 }, "")
        datasets["extra/int64_r4"] = entry("int64", [1, 2, 2, 2], (0..<8).map { Int64($0) << 40 }, "")
        let expected: [String: Any] = [
            "file": "observation_set.h5", "kind": "observation_set", "seed": 123_456_789,
            "config": "{\"fixture\": true}", "datasets": datasets,
        ]
        let json = try JSONSerialization.data(withJSONObject: expected, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: dir.appendingPathComponent("expected.json"))
    }
}
