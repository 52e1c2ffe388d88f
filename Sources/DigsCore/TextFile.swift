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

/// Writes `data` to a temporary file beside `path` and renames it into place, so a reader never
/// sees a half-written file and an interrupted write leaves the old one.
public func writeFileAtomically(_ data: Data, to path: String) throws {
    let temporary = path + ".tmp-\(getpid())"
    do { try data.write(to: URL(fileURLWithPath: temporary)) } catch {
        throw DigsError.unwritableFile(path: path, reason: "cannot write \(temporary): \(systemReason(error))")
    }
    if rename(temporary, path) != 0 {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(atPath: temporary)
        throw DigsError.unwritableFile(path: path, reason: "cannot move into place: \(reason)")
    }
}
