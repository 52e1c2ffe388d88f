import DigsCore
import FITSIO
import Foundation

/// The objects of a survey to ingest: a CSV (header line) or FITS binary table (first table
/// HDU) with one row per object.
///
/// | column | | meaning |
/// |---|---|---|
/// | `file` | required | spectrum file, relative to the table's folder (or absolute) |
/// | `id` | optional | the object's id in the products and the catalog (default: the file's own: SDSS `spec-PLATE-MJD-FIBER`, DESI `TARGETID`, a table's file name) |
/// | `format` | optional | `sdss`, `desi`, `table` or `auto` (default: the settings' `format`) |
/// | `targetid` | DESI | which target of a multi-target DESI file |
/// | `redshift` | optional | spectroscopic redshift (default: the file's: SDSS `Z`, DESI redrock `Z`) |
/// | `luminosity_distance` | optional | Mpc (default: from the redshift and the cosmology) |
/// | `ebv` | optional | Milky-Way E(B−V), mag (default: the settings' `ebv_mag`) |
///
/// Empty cells (CSV), NaN (FITS floats) and empty strings mean "not given". A column DIGS does
/// not read is an error, so a misspelt `redshfit` is never silently ignored.
public struct ObjectTable: Sendable {
    public struct Row: Sendable, Equatable {
        /// Row index in the table, 0-based.
        public var index: Int
        /// Where the row is in the file, for errors (`line 12`, `row 12`).
        public var location: String
        /// Spectrum file path, resolved against the table's folder.
        public var file: String
        public var id: String?
        public var format: SpectrumFormat?
        public var targetID: Int64?
        public var redshift: Double?
        public var luminosityDistanceMpc: Double?
        public var ebv: Double?

        public init(index: Int, location: String, file: String, id: String? = nil, format: SpectrumFormat? = nil,
                    targetID: Int64? = nil, redshift: Double? = nil, luminosityDistanceMpc: Double? = nil, ebv: Double? = nil) {
            (self.index, self.location, self.file, self.id, self.format) = (index, location, file, id, format)
            (self.targetID, self.redshift, self.luminosityDistanceMpc, self.ebv) = (targetID, redshift, luminosityDistanceMpc, ebv)
        }
    }

    public static let columns = ["file", "id", "format", "targetid", "redshift", "luminosity_distance", "ebv"]

    public let path: String
    /// The rows kept (all, or those `keep` chose), in table order.
    public let rows: [Row]
    /// How many rows the table has.
    public let count: Int

    public init(path: String, rows: [Row]) {
        (self.path, self.rows, self.count) = (path, rows, rows.count)
    }

    /// Reads and checks the whole table (every value's type and range, ids unique) before any
    /// spectrum is read, one row at a time, keeping only the rows `keep(count)` names (a
    /// shard's): memory stays flat in the number of rows but for the uniqueness check of the
    /// ids (a 64-bit FNV-1a hash and the line of each, ~50 bytes per id).
    public init(path: String, keep: (Int) -> Range<Int> = { 0..<$0 }) throws {
        self.path = path
        var kept = [Row]()
        count = try Self.scan(path: path, keep: keep) { kept.append($0) }
        rows = kept
    }

    /// Reads the table one row at a time, checking every row, and hands the rows `keep(count)`
    /// names to `body` in order without keeping any; returns the number of rows. A table is
    /// checked whole by a first scan before a second does the work.
    @discardableResult
    public static func scan(path: String, keep: (Int) -> Range<Int> = { 0..<$0 }, _ body: (Row) throws -> Void) throws -> Int {
        let folder = (path as NSString).deletingLastPathComponent
        let resolve = { (file: String) in file.hasPrefix("/") || folder.isEmpty ? file : folder + "/" + file }
        var seen = [UInt64: String](), total = 0, wanted = 0..<0
        func take(_ k: Int, _ location: String, _ value: (String) -> String?) throws {
            let row = try Self.parse(k, location, value, path: path, resolve: resolve)
            if let id = row.id {
                if let earlier = seen.updateValue(location, forKey: Self.fnv1a(id)) {
                    throw DigsError.invalidProduct(path: path, field: "\(location) column id", problem: "'\(id)' is already the id of \(earlier)")
                }
            }
            if wanted.contains(k) { try body(row) }
        }
        if SpectrumFiles.isCSV(path) {
            let file = try MappedFile(path: path)
            try file.withBytes { bytes in
                var names = [String]()
                try CSVTable.scan(bytes, path: path, header: { names = $0 }, row: { _, _ in total += 1 })
                try Self.checkColumns(names, path: path)
                wanted = keep(total)
                let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element.lowercased(), $0.offset) })
                var k = 0
                try CSVTable.scan(bytes, path: path, header: { _ in }, row: { line, cells in
                    try take(k, "line \(line)") { index[$0].map { cells[$0] } }
                    k += 1
                })
            }
        } else {
            let file = try FITSFile(readingFrom: path)
            guard try file.hduCount() >= 2 else {
                throw DigsError.invalidProduct(path: path, field: "HDU 2", problem: "is missing: an object table is a binary table with a column 'file'")
            }
            try file.moveTo(hdu: 2)
            let names = try file.columnNames()
            try Self.checkColumns(names, path: path)
            total = try file.rowCount()
            wanted = keep(total)
            // Columns are read in blocks of rows, as text.
            let blockRows = 65_536
            var first = 0
            while first < total {
                let block = first..<min(total, first + blockRows)
                var cells = [String: [String]]()
                for name in names {
                    let key = name.lowercased()
                    let values: [String]
                    switch key {
                    case "file", "id", "format":
                        if let text = try? file.readStringColumn(name, rows: block) { values = text } else {
                            values = try file.readInt64Column(name, rows: block).map(String.init)
                        }
                    case "targetid":
                        values = try file.readInt64Column(name, rows: block).map { $0 == Int64.min ? "" : String($0) }
                    default:
                        values = try file.readColumn(name, rows: block).map { $0.isNaN ? "" : String($0) }
                    }
                    guard values.count == block.count else {
                        throw DigsError.invalidProduct(path: path, field: "column \(name)", problem: "must hold one value per row (a vector column?)")
                    }
                    cells[key] = values
                }
                for k in block { try take(k, "row \(k + 1)") { cells[$0]?[k - block.lowerBound] } }
                first = block.upperBound
            }
        }
        guard total > 0 else { throw DigsError.invalidProduct(path: path, field: "rows", problem: "the table lists no objects") }
        return total
    }

    /// One row from its cells (`value(column)`: the text, nil when the table has no such column).
    static func parse(_ k: Int, _ location: String, _ cell: (String) -> String?, path: String,
                      resolve: (String) -> String) throws -> Row {
        func value(_ column: String) -> String? {
            guard let text = cell(column), !text.isEmpty else { return nil }
            return text
        }
        func number(_ column: String, unit: String, valid: (Double) -> Bool, expected: String) throws -> Double? {
            guard let text = value(column) else { return nil }
            guard let v = Double(text), v.isFinite, valid(v) else {
                throw DigsError.invalidProduct(path: path, field: "\(location) column \(column)",
                                               problem: "is '\(text)'; expected \(expected)\(unit.isEmpty ? "" : " (\(unit))") or an empty cell")
            }
            return v
        }
        guard cell("file") != nil else {
            throw DigsError.invalidProduct(path: path, field: "column file", problem: "is missing (columns: \(Self.columns.joined(separator: ", ")))")
        }
        guard let file = value("file") else {
            throw DigsError.invalidProduct(path: path, field: "\(location) column file", problem: "is empty: every row names its spectrum file")
        }
        var row = Row(index: k, location: location, file: resolve(file), id: value("id"))
        if let text = value("format") {
            guard let format = SpectrumFormat(rawValue: text.lowercased()) else {
                throw DigsError.invalidProduct(path: path, field: "\(location) column format",
                                               problem: "is '\(text)'; expected one of \(SpectrumFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            row.format = format
        }
        if let text = value("targetid") {
            guard let id = Int64(text) ?? Double(text).flatMap({ $0 == $0.rounded() && abs($0) < 9e15 ? Int64($0) : nil }) else {
                throw DigsError.invalidProduct(path: path, field: "\(location) column targetid", problem: "is '\(text)'; expected an integer TARGETID")
            }
            row.targetID = id
        }
        row.redshift = try number("redshift", unit: "", valid: { $0 > 0 && $0 < 10 }, expected: "a redshift in (0, 10)")
        row.luminosityDistanceMpc = try number("luminosity_distance", unit: "Mpc", valid: { $0 > 0 }, expected: "a positive distance")
        row.ebv = try number("ebv", unit: "mag", valid: { $0 >= 0 && $0 < 10 }, expected: "an E(B−V) in [0, 10)")
        return row
    }

    /// 64-bit FNV-1a of a string's UTF-8 bytes (deterministic, unlike Swift's seeded Hasher).
    static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }

    static func checkColumns(_ names: [String], path: String) throws {
        var seen = Set<String>()
        for name in names {
            let key = name.lowercased()
            guard Self.columns.contains(key) else {
                let hint = Spelling.nearest(key, in: Self.columns).map { "did you mean '\($0)'? " } ?? ""
                throw DigsError.invalidProduct(path: path, field: "column '\(name)'",
                                               problem: "is not one DIGS reads: \(hint)an object table has \(Self.columns.joined(separator: ", ")) (remove the column or rename it)")
            }
            guard seen.insert(key).inserted else { throw DigsError.invalidProduct(path: path, field: "column '\(name)'", problem: "appears twice") }
        }
    }
}
