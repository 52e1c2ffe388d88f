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
    public let rows: [Row]

    public init(path: String, rows: [Row]) {
        (self.path, self.rows) = (path, rows)
    }

    /// Reads and checks the whole table (every value's type and range) before any spectrum is read.
    public init(path: String) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        func resolve(_ file: String) -> String { file.hasPrefix("/") || folder.isEmpty ? file : folder + "/" + file }
        var cells = [String: [String]](), locations = [String]()
        if SpectrumFiles.isCSV(path) {
            let table = try CSVTable(path: path)
            try Self.checkColumns(table.names, path: path)
            for (c, name) in table.names.enumerated() { cells[name.lowercased()] = table.rows.map { $0.cells[c] } }
            locations = table.rows.map { "line \($0.line)" }
        } else {
            let file = try FITSFile(readingFrom: path)
            guard try file.hduCount() >= 2 else {
                throw DigsError.invalidProduct(path: path, field: "HDU 2", problem: "is missing: an object table is a binary table with a column 'file'")
            }
            try file.moveTo(hdu: 2)
            let names = try file.columnNames()
            try Self.checkColumns(names, path: path)
            let count = try file.rowCount()
            for name in names {
                let key = name.lowercased()
                if key == "file" || key == "id" || key == "format" {
                    if let text = try? file.readStringColumn(name) { cells[key] = text } else { cells[key] = try file.readInt64Column(name).map(String.init) }
                } else if key == "targetid" {
                    cells[key] = try file.readInt64Column(name).map { $0 == Int64.min ? "" : String($0) }
                } else {
                    cells[key] = try file.readColumn(name).map { $0.isNaN ? "" : String($0) }
                }
                guard cells[key]!.count == count else {
                    throw DigsError.invalidProduct(path: path, field: "column \(name)", problem: "must hold one value per row (a vector column?)")
                }
            }
            locations = (0..<count).map { "row \($0 + 1)" }
        }
        guard let files = cells["file"] else {
            throw DigsError.invalidProduct(path: path, field: "column file", problem: "is missing (columns: \(Self.columns.joined(separator: ", ")))")
        }
        guard !files.isEmpty else { throw DigsError.invalidProduct(path: path, field: "rows", problem: "the table lists no objects") }
        func value(_ column: String, _ k: Int) -> String? {
            guard let text = cells[column]?[k], !text.isEmpty else { return nil }
            return text
        }
        func number(_ column: String, _ k: Int, unit: String, valid: (Double) -> Bool, expected: String) throws -> Double? {
            guard let text = value(column, k) else { return nil }
            guard let v = Double(text), v.isFinite, valid(v) else {
                throw DigsError.invalidProduct(path: path, field: "\(locations[k]) column \(column)",
                                               problem: "is '\(text)'; expected \(expected)\(unit.isEmpty ? "" : " (\(unit))") or an empty cell")
            }
            return v
        }
        var ids = [String: String]()
        rows = try files.indices.map { k in
            guard let file = value("file", k) else {
                throw DigsError.invalidProduct(path: path, field: "\(locations[k]) column file", problem: "is empty: every row names its spectrum file")
            }
            var row = Row(index: k, location: locations[k], file: resolve(file), id: value("id", k))
            if let text = value("format", k) {
                guard let format = SpectrumFormat(rawValue: text.lowercased()) else {
                    throw DigsError.invalidProduct(path: path, field: "\(locations[k]) column format",
                                                   problem: "is '\(text)'; expected one of \(SpectrumFormat.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                row.format = format
            }
            if let text = value("targetid", k) {
                guard let id = Int64(text) ?? Double(text).flatMap({ $0 == $0.rounded() && abs($0) < 9e15 ? Int64($0) : nil }) else {
                    throw DigsError.invalidProduct(path: path, field: "\(locations[k]) column targetid", problem: "is '\(text)'; expected an integer TARGETID")
                }
                row.targetID = id
            }
            row.redshift = try number("redshift", k, unit: "", valid: { $0 > 0 && $0 < 10 }, expected: "a redshift in (0, 10)")
            row.luminosityDistanceMpc = try number("luminosity_distance", k, unit: "Mpc", valid: { $0 > 0 }, expected: "a positive distance")
            row.ebv = try number("ebv", k, unit: "mag", valid: { $0 >= 0 && $0 < 10 }, expected: "an E(B−V) in [0, 10)")
            if let id = row.id {
                if let earlier = ids[id] {
                    throw DigsError.invalidProduct(path: path, field: "\(locations[k]) column id", problem: "'\(id)' is already the id of \(earlier)")
                }
                ids[id] = locations[k]
            }
            return row
        }
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
