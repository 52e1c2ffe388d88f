import DigsCore
import Foundation
import ProductIO

/// A fresh temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("digs-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Writes a small but complete `theta_grid` product.
func writeThetaGrid(to path: String, rows: Int = 4, seed: UInt64 = 1, overwrite: Bool = false) throws {
    let writer = try ProductWriter(path: path, kind: .thetaGrid, seed: seed, config: "{\"n\": \(rows)}",
                                   overwrite: overwrite)
    var g = RandomStreams(seed: seed).generator(.testing)
    let theta = try NDArray(shape: [rows, 2], data: (0..<(2 * rows)).map { _ in g.nextUniform() })
    try writer.writeParameterArray("theta", theta, axes: ["galaxy", "parameter"],
                                   parameterNames: ["log_mass", "t_age"], parameterUnits: ["log(solMass)", "Gyr"],
                                   description: "parameter vectors")
    try writer.file.setAttribute("prior", .string("{}"))
    try writer.commit()
}

/// Values of every storable type for round-trip tests.
func sampleValues<T: HDF5Element>(_ type: T.Type, count: Int) -> [T] {
    (0..<count).map { i -> T in
        switch T.dtype {
        case .float32: return Float(i) * 0.25 - 3 as! T
        case .float64: return Double(i) * 1e-3 - 1e100 * Double(i % 2) as! T
        case .int32: return Int32(i) * 7 - Int32.max / 2 as! T
        case .int64: return Int64(i) * 1_000_000_007 - Int64.max / 3 as! T
        case .uint8: return UInt8(i % 256) as! T
        case .string: fatalError("not numeric")
        }
    }
}
