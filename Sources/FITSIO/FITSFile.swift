import CFITSIO
import DigsCore
import Foundation

/// An open FITS file (cfitsio), read-only: HDU navigation, header keywords, images and
/// numeric table columns.
///
/// cfitsio status codes become `DigsError.library` errors naming the file, the HDU and the
/// operation, with cfitsio's own message.
public final class FITSFile {
    public let path: String
    private var pointer: UnsafeMutablePointer<fitsfile>?

    /// Opens an existing FITS file for reading.
    public init(readingFrom path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw DigsError.fileNotFound(path: path) }
        try requireRegularFile(path, expected: "a FITS file")
        var status: Int32 = 0
        var fptr: UnsafeMutablePointer<fitsfile>?
        ffopentest(digs_fits_soname(), &fptr, path, READONLY, &status)
        if status != 0 {
            throw DigsError.unreadableFile(path: path, reason: "not a readable FITS file (\(Self.message(status)))")
        }
        pointer = fptr
    }

    /// A memory-mapped file cfitsio reads in place, and cfitsio's handles on it (cfitsio keeps
    /// the addresses of the pointer and the size, so both live as long as the file).
    private var memory: (file: MappedFile, address: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                         size: UnsafeMutablePointer<Int>)?

    /// Opens the FITS bytes of a mapped file (read once, e.g. to hash it as well), without a copy.
    public init(mapped file: MappedFile) throws {
        path = file.path
        guard let base = file.bytes.baseAddress else {
            throw DigsError.unreadableFile(path: path, reason: "not a readable FITS file (the file is empty)")
        }
        let address = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1)
        let size = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        // READONLY: cfitsio neither writes to nor frees the buffer.
        (address.pointee, size.pointee) = (UnsafeMutableRawPointer(mutating: base), file.bytes.count)
        memory = (file, address, size)
        var status: Int32 = 0
        var fptr: UnsafeMutablePointer<fitsfile>?
        ffomem(&fptr, path, READONLY, address, size, 0, nil, &status)
        if status != 0 {
            throw DigsError.unreadableFile(path: path, reason: "not a readable FITS file (\(Self.message(status)))")
        }
        pointer = fptr
    }

    deinit {
        var status: Int32 = 0
        if pointer != nil { ffclos(pointer, &status) }
        if let memory {
            memory.address.deallocate()
            memory.size.deallocate()
        }
    }

    /// Whether an HDU with this EXTNAME exists (the current HDU is unchanged when it does not).
    public func hasHDU(extname: String) -> Bool {
        var current: Int32 = 0, status: Int32 = 0, type: Int32 = 0
        ffghdn(pointer, &current)
        var name = Array(extname.utf8CString)
        ffmnhd(pointer, ANY_HDU, &name, 0, &status)
        let found = status == 0
        var ignored: Int32 = 0
        ffmahd(pointer, current, &type, &ignored)
        return found
    }

    /// The number of HDUs, the primary included.
    public func hduCount() throws -> Int {
        var n: Int32 = 0
        try call("counting HDUs") { ffthdu(pointer, &n, &$0) }
        return Int(n)
    }

    /// Moves to HDU `number` (1 = primary).
    public func moveTo(hdu number: Int) throws {
        var type: Int32 = 0
        try call("moving to HDU \(number)") { ffmahd(pointer, Int32(number), &type, &$0) }
    }

    /// A string keyword of the current HDU, or nil when absent; long strings continued over
    /// several cards (the LONGSTRN convention) are joined.
    public func stringKeyword(_ name: String) throws -> String? {
        var value: UnsafeMutablePointer<CChar>?
        var status: Int32 = 0
        ffgkls(pointer, name, &value, nil, &status)
        defer { if value != nil { var ignored: Int32 = 0; fffree(value, &ignored) } }
        if status == KEY_NO_EXIST { return nil }
        if status != 0 { throw error("reading keyword \(name)", status) }
        return String(cString: value!).trimmingCharacters(in: .whitespaces)
    }

    /// A numeric keyword of the current HDU, or nil when absent or not a number.
    public func doubleKeyword(_ name: String) -> Double? {
        var value = 0.0, status: Int32 = 0
        ffgkyd(pointer, name, &value, nil, &status)
        return status == 0 ? value : nil
    }

    /// The EXTNAMEs of every HDU (the primary's is "PRIMARY" when it has none); the current HDU
    /// is unchanged.
    public func extensionNames() -> [String] {
        var current: Int32 = 0, type: Int32 = 0, status: Int32 = 0, count: Int32 = 0
        ffghdn(pointer, &current)
        ffthdu(pointer, &count, &status)
        var names = [String]()
        for k in 1...max(1, Int(count)) where status == 0 {
            ffmahd(pointer, Int32(k), &type, &status)
            if status == 0 { names.append((try? stringKeyword("EXTNAME")).flatMap { $0 } ?? (k == 1 ? "PRIMARY" : "HDU \(k)")) }
        }
        var ignored: Int32 = 0
        ffmahd(pointer, current, &type, &ignored)
        return names
    }

    /// A keyword of a column of the current table (`TUNIT`, `TUCD`, …: the column's number is
    /// appended), or nil.
    public func columnKeyword(_ prefix: String, column name: String) throws -> String? {
        guard let k = try columnNames().firstIndex(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) else { return nil }
        return try stringKeyword("\(prefix)\(k + 1)")
    }

    /// The axis lengths of the current HDU's image, FITS order (NAXIS1 first, fastest).
    public func imageShape() throws -> [Int] {
        try requireDataInFile()
        var naxis: Int32 = 0
        try call("reading NAXIS") { ffgidm(pointer, &naxis, &$0) }
        var axes = [Int](repeating: 0, count: Int(naxis))
        try call("reading image size") { ffgisz(pointer, naxis, &axes, &$0) }
        return axes
    }

    /// The current HDU's image as Float64 in row-major order with shape reversed from FITS
    /// order (outermost axis first), e.g. NAXIS1 = 13216, NAXIS2 = 221 → shape [221, 13216].
    public func readImage() throws -> NDArray<Double> {
        let fitsShape = try imageShape()
        let count = fitsShape.reduce(1, *)
        var data = [Double](repeating: 0, count: count)
        if count > 0 {
            var nullValue = Double.nan
            var anyNull: Int32 = 0
            try call("reading image") { ffgpv(pointer, TDOUBLE, 1, Int64(count), &nullValue, &data, &anyNull, &$0) }
        }
        return try NDArray(shape: fitsShape.reversed(), data: data)
    }

    /// Moves to the HDU with this EXTNAME.
    public func moveTo(extname: String) throws {
        var name = Array(extname.utf8CString)
        try call("moving to HDU \(extname)") { ffmnhd(pointer, ANY_HDU, &name, 0, &$0) }
    }

    /// The number of rows of the current table.
    public func rowCount() throws -> Int {
        try requireDataInFile()
        var rows: Int = 0
        try call("reading NAXIS2") { ffgnrw(pointer, &rows, &$0) }
        return rows
    }

    /// A numeric column of the current table as Float64 (vector cells flattened row by row);
    /// NaN stays NaN. `rows` (0-based): only those rows.
    public func readColumn(_ name: String, rows: Range<Int>? = nil) throws -> [Double] {
        var column: Int32 = 0, template = Array(name.utf8CString)
        try call("finding column \(name)") { ffgcno(pointer, CASEINSEN, &template, &column, &$0) }
        var repeatCount: Int = 0, width: Int = 0, type: Int32 = 0
        try call("reading the format of column \(name)") { ffgtcl(pointer, column, &type, &repeatCount, &width, &$0) }
        let range = try rows ?? 0..<rowCount()
        let n = range.count * repeatCount
        var data = [Double](repeating: 0, count: n)
        if n > 0 {
            var anyNull: Int32 = 0
            try call("reading column \(name)") { ffgcvd(pointer, column, Int64(range.lowerBound + 1), 1, Int64(n), .nan, &data, &anyNull, &$0) }
        }
        return data
    }

    /// An integer column of the current table as Int64, exactly (64-bit ids such as DESI's
    /// TARGETID do not fit a Float64's 53-bit mantissa). Null cells read as `null`.
    public func readInt64Column(_ name: String, null: Int64 = Int64.min, rows: Range<Int>? = nil) throws -> [Int64] {
        var column: Int32 = 0, template = Array(name.utf8CString)
        try call("finding column \(name)") { ffgcno(pointer, CASEINSEN, &template, &column, &$0) }
        var repeatCount: Int = 0, width: Int = 0, type: Int32 = 0
        try call("reading the format of column \(name)") { ffgtcl(pointer, column, &type, &repeatCount, &width, &$0) }
        guard [TBYTE, TSBYTE, TSHORT, TUSHORT, TINT, TUINT, TLONG, TULONG, TLONGLONG].contains(type) else {
            throw DigsError.invalidProduct(path: path, field: "column \(name)", problem: "is not an integer column")
        }
        let range = try rows ?? 0..<rowCount()
        let n = range.count * repeatCount
        var data = [Int64](repeating: 0, count: n)
        if n > 0 {
            var anyNull: Int32 = 0
            try call("reading column \(name)") { ffgcvjj(pointer, column, Int64(range.lowerBound + 1), 1, Int64(n), null, &data, &anyNull, &$0) }
        }
        return data
    }

    /// The column names of the current table (TTYPEn), in order.
    public func columnNames() throws -> [String] {
        var count: Int32 = 0
        try call("counting columns") { ffgncl(pointer, &count, &$0) }
        return try (1...max(1, Int(count))).prefix(Int(count)).map { try stringKeyword("TTYPE\($0)") ?? "" }
    }

    /// Whether the current table has a column of this name (case-insensitive).
    public func hasColumn(_ name: String) -> Bool {
        var column: Int32 = 0, status: Int32 = 0, template = Array(name.utf8CString)
        ffgcno(pointer, CASEINSEN, &template, &column, &status)
        return status == 0
    }

    /// A string column of the current table, trailing blanks removed.
    public func readStringColumn(_ name: String, rows range: Range<Int>? = nil) throws -> [String] {
        var column: Int32 = 0, template = Array(name.utf8CString)
        try call("finding column \(name)") { ffgcno(pointer, CASEINSEN, &template, &column, &$0) }
        var type: Int32 = 0, repeatCount: Int = 0, width: Int = 0
        try call("reading the format of column \(name)") { ffgtcl(pointer, column, &type, &repeatCount, &width, &$0) }
        guard type == TSTRING else {
            throw DigsError.invalidProduct(path: path, field: "column \(name)", problem: "is not a string column")
        }
        let selected = try range ?? 0..<rowCount()
        let rows = selected.count, size = max(repeatCount, width) + 1
        var buffers = (0..<rows).map { _ in UnsafeMutablePointer<CChar>.allocate(capacity: size) }
        defer { buffers.forEach { $0.deallocate() } }
        var null = Array("".utf8CString), anyNull: Int32 = 0
        if rows > 0 {
            try buffers.withUnsafeMutableBufferPointer { array in
                var pointers = array.map { Optional($0) }
                try call("reading column \(name)") { ffgcvs(pointer, column, Int64(selected.lowerBound + 1), 1, Int64(rows), &null, &pointers, &anyNull, &$0) }
            }
        }
        return buffers.map { String(cString: $0).trimmingCharacters(in: .whitespaces) }
    }

    /// The file's size in bytes (the mapped bytes, or the file on disk).
    private var fileSize: Int64 {
        if let memory { return Int64(memory.size.pointee) }
        return ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Refuses the current HDU when the data its header declares (NAXISn, PCOUNT) end after the
    /// file does: a truncated file, or a header whose sizes were damaged. Checked before any
    /// size taken from the header is allocated or read, so a file cut short or a NAXIS2 of 10⁹
    /// gives this error instead of an allocation of gigabytes or a read past the end of the file.
    public func requireDataInFile() throws {
        var headStart: Int64 = 0, dataStart: Int64 = 0, dataEnd: Int64 = 0
        try call("reading the HDU's size") { ffghadll(pointer, &headStart, &dataStart, &dataEnd, &$0) }
        let size = fileSize
        guard dataEnd <= size else {
            var hdu: Int32 = 0
            ffghdn(pointer, &hdu)
            let axes = ["NAXIS1", "NAXIS2"].compactMap { key -> String? in
                var value: Int64 = 0, status: Int32 = 0
                ffgkyjj(pointer, key, &value, nil, &status)
                return status == 0 ? "\(key) = \(value)" : nil
            }.joined(separator: ", ")
            throw DigsError.invalidProduct(path: path, field: "HDU \(hdu) data",
                                           problem: "its header declares \(dataEnd - dataStart) bytes of data (\(axes)) ending at byte \(dataEnd), but the file has \(size) bytes: the file is truncated or its header's sizes are damaged")
        }
    }

    private func call(_ operation: String, _ body: (inout Int32) -> Int32) throws {
        var status: Int32 = 0
        _ = body(&status)
        if status != 0 { throw error(operation, status) }
    }

    private func error(_ operation: String, _ status: Int32) -> DigsError {
        var hdu: Int32 = 0
        ffghdn(pointer, &hdu)
        return .library(name: "cfitsio", path: path, operation: "\(operation) (HDU \(hdu))", message: Self.message(status))
    }

    /// The text of a NUL-terminated C buffer.
    static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func message(_ status: Int32) -> String {
        var text = [CChar](repeating: 0, count: 81)
        ffgerr(status, &text)
        var detail = [CChar](repeating: 0, count: 81)
        var messages: [String] = [string(text)]
        while ffgmsg(&detail) != 0 { messages.append(string(detail)) }
        return messages.filter { !$0.isEmpty }.joined(separator: "; ")
    }
}
