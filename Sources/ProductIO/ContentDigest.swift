import DigsCore

/// The `content_digest` of a product: SHA-256 over every dataset's path, dtype, shape and
/// little-endian element bytes, in sorted path order. Attributes (and so the creation
/// time) are not part of it, nor are datasets under `timing/` (wall times of the run that
/// made the product), so the same seed and inputs give the same digest.
///
/// Datasets are read in row blocks of about 4 MiB, so memory stays flat for large files.
public enum ContentDigest {
    /// Datasets under this group record how long the run took, not what it computed.
    public static let timingGroup = "timing/"

    /// Computes the digest of every dataset in an open file ("sha256:<64 hex digits>").
    public static func compute(_ file: HDF5File) throws -> String {
        var outer = SHA256()
        for path in try file.datasetPaths() where !path.hasPrefix(timingGroup) {
            let dataset = try file.dataset(path)
            let inner = try digest(of: dataset)
            outer.update(data: Array("\(path)\t\(dataset.dtype.rawValue)\t\(dataset.shape)\t\(inner)\n".utf8))
        }
        return "sha256:" + hex(outer.finalize())
    }

    static func digest(of dataset: HDF5Dataset) throws -> String {
        var hasher = SHA256()
        let shape = dataset.shape
        switch dataset.dtype {
        case .string:
            for s in try dataset.readStrings() {
                let bytes = Array(s.utf8)
                hasher.update(data: withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { Array($0) })
                hasher.update(data: bytes)
            }
        case .float32: try hashRows(dataset, shape, Float.self, &hasher)
        case .float64: try hashRows(dataset, shape, Double.self, &hasher)
        case .int32: try hashRows(dataset, shape, Int32.self, &hasher)
        case .int64: try hashRows(dataset, shape, Int64.self, &hasher)
        case .uint8: try hashRows(dataset, shape, UInt8.self, &hasher)
        }
        return hex(hasher.finalize())
    }

    private static func hashRows<T: HDF5Element>(_ dataset: HDF5Dataset, _ shape: [Int], _: T.Type,
                                                 _ hasher: inout SHA256) throws {
        guard let rows = shape.first, shape.reduce(1, *) > 0 else { return }
        let rowBytes = max(1, shape.dropFirst().reduce(1, *) * MemoryLayout<T>.size)
        let block = max(1, (4 << 20) / rowBytes)
        var start = 0
        while start < rows {
            let end = min(rows, start + block)
            let part: NDArray<T> = try dataset.readRows(start..<end)
            part.data.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            start = end
        }
    }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }
}
