import Foundation

/// A comma-separated text table whose first line names the columns; blank lines and lines
/// starting with `#` are skipped; LF and CRLF line ends both work. Cells stay text until a column is asked for as numbers, so
/// columns nobody reads may hold anything. Errors name the file, the line and the column.
public struct CSVTable: Sendable {
    public let path: String
    /// Column names as the header gives them (trimmed).
    public let names: [String]
    /// Data rows: the line number in the file (1-based) and the trimmed cells.
    public let rows: [(line: Int, cells: [String])]

    public init(path: String) throws {
        try self.init(text: try readTextFile(path), path: path)
    }

    /// A table from text already read (`path` names it in errors).
    public init(text: String, path: String) throws {
        self.path = path
        var names = [String](), rows = [(line: Int, cells: [String])]()
        try Array(text.utf8).withUnsafeBytes { bytes in
            try Self.scan(bytes, path: path, header: { names = $0 }, row: { rows.append(($0, $1)) })
        }
        (self.names, self.rows) = (names, rows)
    }

    /// Reads CSV bytes one line at a time, keeping nothing: `header` gets the column names,
    /// then `row` each data line's number (1-based) and trimmed cells, checked to be as many
    /// as the names. For tables too large to hold (an object table of 10⁷ rows).
    public static func scan(_ bytes: UnsafeRawBufferPointer, path: String, header: ([String]) throws -> Void,
                            row: (Int, [String]) throws -> Void) throws {
        var start = 0, number = 0, columns: Int?
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            number += 1
            defer { start = end + 1 }
            guard let line = String(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), encoding: .utf8) else {
                throw DigsError.invalidProduct(path: path, field: "line \(number)", problem: "is not UTF-8 text")
            }
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, !text.hasPrefix("#") else { continue }
            let cells = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if let columns {
                guard cells.count == columns else {
                    throw DigsError.invalidProduct(path: path, field: "line \(number)", problem: "has \(cells.count) values, the header has \(columns)")
                }
                try row(number, cells)
            } else {
                columns = cells.count
                try header(cells)
            }
        }
        guard columns != nil else { throw DigsError.invalidProduct(path: path, field: "header", problem: "the table is empty") }
    }

    /// The index of the column called `name` (`caseInsensitive`: any capitalisation), or nil.
    public func column(_ name: String, caseInsensitive: Bool = false) -> Int? {
        names.firstIndex { caseInsensitive ? $0.lowercased() == name.lowercased() : $0 == name }
    }

    /// Column `index` as numbers.
    public func numbers(column index: Int) throws -> [Double] {
        try rows.map { row in
            guard let v = Double(row.cells[index]) else {
                throw DigsError.invalidProduct(path: path, field: "line \(row.line) column '\(names[index])'",
                                               problem: "'\(row.cells[index])' is not a number")
            }
            return v
        }
    }
}
