import CFITSIO
import DigsCore
import Foundation

/// A header keyword: name (≤ 8 characters), value and comment.
public struct FITSKeyword: Sendable {
    public enum Value: Sendable {
        case string(String), int(Int64), double(Double), bool(Bool)
    }
    public let name: String
    public let value: Value
    public let comment: String

    public init(_ name: String, _ value: Value, _ comment: String) {
        self.name = name
        self.value = value
        self.comment = comment
    }
}

/// A binary-table column: TTYPE, TFORM, TUNIT, TCOMM (description) and TUCD (UCD), plus TDIM
/// for vector columns.
public struct FITSColumn: Sendable {
    public let name: String
    public let format: String
    public let unit: String
    public let comment: String
    public let ucd: String?
    /// Vector cell dimensions in FITS order (fastest first), e.g. [D, S].
    public let dimensions: [Int]?

    public init(name: String, format: String, unit: String, comment: String, ucd: String? = nil, dimensions: [Int]? = nil) {
        self.name = name
        self.format = format
        self.unit = unit
        self.comment = comment
        self.ucd = ucd
        self.dimensions = dimensions
    }
}

/// Writes a new FITS file with cfitsio: an empty primary HDU with keywords, then binary
/// tables filled column by column in row blocks (memory flat in the number of rows).
/// `finish()` writes CHECKSUM/DATASUM in every HDU and closes; errors name the file.
public final class FITSTableWriter {
    public let path: String
    private var pointer: UnsafeMutablePointer<fitsfile>?
    private var hdus = 1

    /// Creates `path` (replacing it if present: callers write to a temporary name) with the
    /// primary header keywords.
    public init(path: String, primaryKeywords: [FITSKeyword]) throws {
        self.path = path
        var status: Int32 = 0
        var fptr: UnsafeMutablePointer<fitsfile>?
        ffinit(&fptr, "!" + path, &status)
        if status != 0 { throw DigsError.unwritableFile(path: path, reason: "cannot create FITS file (\(FITSFile.message(status)))") }
        pointer = fptr
        try call("creating the primary HDU") { ffcrim(pointer, BYTE_IMG, 0, nil, &$0) }
        try call("writing LONGSTRN") { ffplsw(pointer, &$0) }
        try write(primaryKeywords)
    }

    deinit {
        var status: Int32 = 0
        if pointer != nil { ffclos(pointer, &status) }
    }

    /// Adds a binary table HDU with the columns and keywords; rows are written afterwards.
    public func createTable(extname: String, columns: [FITSColumn], keywords: [FITSKeyword]) throws {
        try withCStrings(columns.map(\.name)) { names in
            try withCStrings(columns.map(\.format)) { formats in
                try withCStrings(columns.map(\.unit)) { units in
                    try call("creating table \(extname)") {
                        ffcrtb(pointer, BINARY_TBL, 0, Int32(columns.count), names, formats, units, extname, &$0)
                    }
                }
            }
        }
        hdus += 1
        try call("writing LONGSTRN") { ffplsw(pointer, &$0) }
        for (i, column) in columns.enumerated() {
            let n = i + 1
            if let dims = column.dimensions {
                var axes = dims.map { Int($0) }
                try call("writing TDIM\(n)") { ffptdm(pointer, Int32(n), Int32(axes.count), &axes, &$0) }
            }
            try write([FITSKeyword("TCOMM\(n)", .string(column.comment), "description of \(column.name)")])
            if let ucd = column.ucd { try write([FITSKeyword("TUCD\(n)", .string(ucd), "UCD of \(column.name)")]) }
        }
        try write(keywords)
    }

    /// Writes keywords into the current HDU; strings longer than a card use the long-string
    /// (CONTINUE) convention, announced by the LONGSTRN keyword in every HDU.
    public func write(_ keywords: [FITSKeyword]) throws {
        for k in keywords {
            switch k.value {
            case let .string(s) where s.utf8.count > 68:
                try call("writing keyword \(k.name)") { ffpkls(pointer, k.name, s, k.comment, &$0) }
            case let .string(s):
                try call("writing keyword \(k.name)") { ffpkys(pointer, k.name, s, k.comment, &$0) }
            case let .int(v):
                try call("writing keyword \(k.name)") { ffpkyj(pointer, k.name, v, k.comment, &$0) }
            case let .double(v):
                try call("writing keyword \(k.name)") { ffpkyd(pointer, k.name, v, -15, k.comment, &$0) }
            case let .bool(v):
                try call("writing keyword \(k.name)") { ffpkyl(pointer, k.name, v ? 1 : 0, k.comment, &$0) }
            }
        }
    }

    /// Writes the DATE keyword (UTC, now) into the current HDU.
    public func writeDate() throws { try call("writing DATE") { ffpdat(pointer, &$0) } }

    /// Writes `values` into column `column` (1-based) from row `firstRow` (1-based), for the
    /// current table; a vector column takes its elements row after row.
    public func write(column: Int, firstRow: Int, _ values: [Double]) throws {
        var v = values
        try call("writing column \(column)") { ffpcld(pointer, Int32(column), Int64(firstRow), 1, Int64(v.count), &v, &$0) }
    }

    public func write(column: Int, firstRow: Int, _ values: [Float]) throws {
        var v = values
        try call("writing column \(column)") { ffpcle(pointer, Int32(column), Int64(firstRow), 1, Int64(v.count), &v, &$0) }
    }

    public func write(column: Int, firstRow: Int, _ values: [Int64]) throws {
        var v = values
        try call("writing column \(column)") { ffpcljj(pointer, Int32(column), Int64(firstRow), 1, Int64(v.count), &v, &$0) }
    }

    public func write(column: Int, firstRow: Int, _ values: [UInt8]) throws {
        var v = values
        try call("writing column \(column)") { ffpclb(pointer, Int32(column), Int64(firstRow), 1, Int64(v.count), &v, &$0) }
    }

    public func write(column: Int, firstRow: Int, _ values: [String]) throws {
        try withCStrings(values) { strings in
            try call("writing column \(column)") { ffpcls(pointer, Int32(column), Int64(firstRow), 1, Int64(values.count), strings, &$0) }
        }
    }

    /// Writes CHECKSUM and DATASUM in every HDU and closes the file.
    public func finish() throws {
        for hdu in 1...hdus {
            var type: Int32 = 0
            try call("moving to HDU \(hdu)") { ffmahd(pointer, Int32(hdu), &type, &$0) }
            try call("writing CHECKSUM") { ffpcks(pointer, &$0) }
        }
        try call("closing") { ffclos(pointer, &$0) }
        pointer = nil
    }

    private func call(_ operation: String, _ body: (inout Int32) -> Int32) throws {
        var status: Int32 = 0
        _ = body(&status)
        if status != 0 {
            throw DigsError.library(name: "cfitsio", path: path, operation: operation, message: FITSFile.message(status))
        }
    }

    /// Runs `body` with a `char **` view of the strings (valid only inside `body`).
    private func withCStrings<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws -> R) throws -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var pointers = copies
        return try pointers.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }
}
