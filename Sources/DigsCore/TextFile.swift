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

/// Writing a file so that a reader never sees it half-written and an interrupted write leaves
/// the old one: the file is written under a temporary name beside its target
/// (`.<name>.partial-<pid>-<random>`, so writers of one target never collide and
/// `ProductWriter.removeStalePartials` recognises what a killed run left) and renamed onto the
/// target, which rename(2) replaces atomically. Every product, catalog, figure and state file
/// of DIGS is written this way.
public enum AtomicWrite {
    /// A fresh temporary path beside `path`.
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    }

    /// Renames the finished `temporary` onto `path`; on failure the temporary file is removed
    /// and the error names `path` and the operating system's reason.
    public static func moveIntoPlace(_ temporary: String, to path: String) throws {
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw DigsError.unwritableFile(path: path, reason: "cannot move the finished file into place: \(reason)")
        }
    }

    /// Runs `write` on a temporary path beside `path`, then moves the result into place; if
    /// `write` throws, the temporary file is removed and `path` is untouched.
    public static func write(to path: String, _ write: (_ temporary: String) throws -> Void) throws {
        let temporary = temporaryPath(for: path)
        do { try write(temporary) } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        try moveIntoPlace(temporary, to: path)
    }
}

/// Writes `data` to `path` atomically (`AtomicWrite`).
public func writeFileAtomically(_ data: Data, to path: String) throws {
    try AtomicWrite.write(to: path) { temporary in
        do { try data.write(to: URL(fileURLWithPath: temporary)) } catch {
            throw DigsError.unwritableFile(path: path, reason: "cannot write \(temporary): \(systemReason(error))")
        }
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
