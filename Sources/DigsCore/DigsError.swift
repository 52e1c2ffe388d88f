import Foundation

/// Errors that DIGS reports to its users.
///
/// Every case names the file (or input) involved and what was expected, so a message can be
/// shown as-is on the command line. Errors are thrown, never turned into traps.
public enum DigsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file that should exist does not.
    case fileNotFound(path: String)
    /// A file exists but cannot be read as what it should be (wrong format, truncated, …).
    case unreadableFile(path: String, reason: String)
    /// A product of another kind than the one expected.
    case wrongProductKind(path: String, found: String, expected: String)
    /// A product whose schema major version this build cannot read.
    case incompatibleSchemaVersion(path: String, found: String, expected: String)
    /// A dataset or attribute is missing or has the wrong type, shape or value.
    case invalidProduct(path: String, field: String, problem: String)
    /// A file or folder that cannot be created, written or moved into place.
    case unwritableFile(path: String, reason: String)
    /// A refusal to overwrite an existing file without `--force`.
    case alreadyExists(path: String)
    /// A user input (option, configuration value, parameter) outside what is accepted.
    case invalidInput(field: String, problem: String)
    /// A failure in a native library call, with its own message.
    case library(name: String, path: String, operation: String, message: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "\(path): no such file"
        case let .unreadableFile(path, reason):
            return "\(path): cannot be read: \(reason)"
        case let .wrongProductKind(path, found, expected):
            return "\(path): is a '\(found)' product, expected '\(expected)'"
        case let .incompatibleSchemaVersion(path, found, expected):
            return "\(path): schema version \(found) cannot be read by this DIGS, which reads \(expected)"
        case let .invalidProduct(path, field, problem):
            return "\(path): \(field): \(problem)"
        case let .unwritableFile(path, reason):
            return "\(path): cannot be written: \(reason)"
        case let .alreadyExists(path):
            return "\(path): already exists (use --force to replace it)"
        case let .invalidInput(field, problem):
            return "\(field): \(problem)"
        case let .library(name, path, operation, message):
            return "\(path): \(name) \(operation) failed: \(message)"
        }
    }
}

/// The operating system's reason for a failed file operation, without Foundation's error
/// domain and code ("Permission denied", "No space left on device").
public func systemReason(_ error: Error) -> String {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    return ns.localizedDescription
}
