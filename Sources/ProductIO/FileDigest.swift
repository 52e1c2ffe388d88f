import DigsCore
import Foundation

/// SHA-256 of whole files, read in 4 MiB blocks (for source archives and catalogs).
public enum FileDigest {
    /// The lowercase hex SHA-256 of bytes already read.
    public static func sha256(bytes: UnsafeRawBufferPointer) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The lowercase hex SHA-256 of the file at `path`.
    public static func sha256(path: String) throws -> String {
        try requireRegularFile(path)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FileManager.default.fileExists(atPath: path)
                ? DigsError.unreadableFile(path: path, reason: "permission denied")
                : DigsError.fileNotFound(path: path)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let block = try handle.read(upToCount: 4 << 20) ?? Data()
            if block.isEmpty { break }
            hasher.update(data: block)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
