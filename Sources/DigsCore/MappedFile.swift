import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file's bytes, memory-mapped read-only: read from disk once, as the pages are touched, and
/// shared by everything that looks at them (the ingest stage hashes them and cfitsio parses
/// them in place). The pages are the kernel's file cache, not copies: a 200 MB DESI coadd costs
/// no 200 MB of private memory.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    /// The bytes (empty for an empty file).
    public let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?

    public init(path: String) throws {
        self.path = path
        try requireRegularFile(path)
        // O_NONBLOCK: opening a FIFO must not wait for a writer (nor does stat above).
        let descriptor = open(path, O_RDONLY | O_NONBLOCK)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw errno == ENOENT ? DigsError.fileNotFound(path: path) : DigsError.unreadableFile(path: path, reason: reason)
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw DigsError.unreadableFile(path: path, reason: String(cString: strerror(errno))) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw DigsError.unreadableFile(path: path, reason: "not a regular file") }
        let count = Int(status.st_size)
        guard count > 0 else {
            (mapping, bytes) = (nil, UnsafeRawBufferPointer(start: nil, count: 0))
            return
        }
        guard let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw DigsError.unreadableFile(path: path, reason: "cannot be mapped: \(String(cString: strerror(errno)))")
        }
        (mapping, bytes) = (address, UnsafeRawBufferPointer(start: address, count: count))
    }

    /// Runs `body` on the bytes with the mapping kept alive until it returns (a temporary
    /// `MappedFile(path:).bytes` would be unmapped at once).
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(bytes) }
    }

    deinit {
        if let mapping { munmap(mapping, bytes.count) }
    }
}
