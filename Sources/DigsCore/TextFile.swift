import Foundation

/// Reads a UTF-8 text file, with the errors DIGS reports for input files.
public func readTextFile(_ path: String) throws -> String {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw FileManager.default.fileExists(atPath: path)
            ? DigsError.unreadableFile(path: path, reason: "not UTF-8 text")
            : DigsError.fileNotFound(path: path)
    }
    return text
}
