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
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .enumerated().map { (line: $0.offset + 1, text: $0.element.trimmingCharacters(in: .whitespacesAndNewlines)) }
            .filter { !$0.text.isEmpty && !$0.text.hasPrefix("#") }
        guard let header = lines.first else {
            throw DigsError.invalidProduct(path: path, field: "header", problem: "the table is empty")
        }
        let names = header.text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        rows = try lines.dropFirst().map { line in
            let cells = line.text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == names.count else {
                throw DigsError.invalidProduct(path: path, field: "line \(line.line)",
                                               problem: "has \(cells.count) values, the header has \(names.count)")
            }
            return (line.line, cells)
        }
        self.names = names
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
