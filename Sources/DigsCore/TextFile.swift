import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Refuses a path that exists but is not a regular file (a FIFO, a device, a socket, a
/// directory) before anything opens it: opening a FIFO for reading blocks until a writer comes,
/// and /dev/zero never ends. Uses stat(2), which neither opens nor blocks.
public func requireRegularFile(_ path: String, expected: String = "a regular file") throws {
    var status = stat()
    guard stat(path, &status) == 0 else { return }   // missing: the caller says so in its own words
    let kind = status.st_mode & S_IFMT
    guard kind == S_IFREG else {
        let what = kind == S_IFDIR ? "a directory" : kind == S_IFIFO ? "a FIFO (named pipe)" : kind == S_IFCHR || kind == S_IFBLK ? "a device" : kind == S_IFSOCK ? "a socket" : "not a regular file"
        throw DigsError.unreadableFile(path: path, reason: "is \(what), expected \(expected)")
    }
}

/// Refuses an output path that is one of the stage's inputs (the same file: same device and
/// inode, whatever the path's spelling or links), whatever `--force` says: writing there would
/// replace the input it is made from.
public func requireNotAnInput(output: String, inputs: [String]) throws {
    var target = stat()
    guard stat(output, &target) == 0 else { return }   // a new file cannot be an input
    for input in inputs {
        var status = stat()
        if stat(input, &status) == 0, status.st_dev == target.st_dev, status.st_ino == target.st_ino {
            throw DigsError.invalidInput(field: "-o/--output",
                                         problem: "\(output) is the input \(input) itself; write the output elsewhere (--force never replaces an input)")
        }
    }
}

/// Refuses an output path that cannot be written as a file, before anything is computed: an
/// existing directory, or a path below something that is not a directory.
public func requireOutputPath(_ path: String) throws {
    var status = stat()
    if stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
        throw DigsError.unwritableFile(path: path, reason: "it is a directory; name the file to write with -o (e.g. \(path)/out.h5)")
    }
    var parent = (path as NSString).deletingLastPathComponent
    while !parent.isEmpty, parent != "/", stat(parent, &status) != 0 { parent = (parent as NSString).deletingLastPathComponent }
    if !parent.isEmpty, stat(parent, &status) == 0, status.st_mode & S_IFMT != S_IFDIR {
        throw DigsError.unwritableFile(path: path, reason: "it lies inside \(parent), which is a file, not a folder")
    }
}

/// Reads a UTF-8 text file, with the errors DIGS reports for input files.
public func readTextFile(_ path: String) throws -> String {
    try requireRegularFile(path, expected: "a text file")
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
