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

/// Creates a folder and its missing parents (mkdir -p) with the operating system's reason
/// when it cannot: "… is a file, not a folder", "Permission denied", "Read-only file system".
public func createFolder(_ path: String) throws {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
        guard isFolder.boolValue else { throw DigsError.unwritableFile(path: path, reason: "is a file, not a folder") }
        return
    }
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty && parent != path { try createFolder(parent) }
    if mkdir(path, 0o777) != 0 && errno != EEXIST {
        throw DigsError.unwritableFile(path: path, reason: "cannot create the folder: \(String(cString: strerror(errno)))")
    }
}
