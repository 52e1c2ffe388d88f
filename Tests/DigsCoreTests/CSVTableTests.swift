import DigsCore
import Foundation
import Testing

@Suite("CSV tables")
struct CSVTableTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("digs-csv-\(getpid())-\(text.hashValue).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("CRLF and LF lines, comments and blank lines skipped; numbers by column; unread columns may hold text")
    func reads() throws {
        let path = try write("# made by hand\r\nid, a ,B\r\n\r\ngalaxy-1,1.5,2\r\n# skipped\r\ngalaxy-2,-3,4e2\r\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let table = try CSVTable(path: path)
        #expect(table.names == ["id", "a", "B"])
        #expect(table.rows.map(\.line) == [4, 6])
        #expect(try table.numbers(column: table.column("a")!) == [1.5, -3])
        #expect(table.column("b") == nil && table.column("b", caseInsensitive: true) == 2)
        #expect(try table.numbers(column: 2) == [2, 400])
        #expect(throws: DigsError.self) { try table.numbers(column: 0) }
    }

    @Test("errors name the file's line: a short row, a non-number, an empty file")
    func errors() throws {
        let short = try write("a,b\n1,2\n3\n")
        defer { try? FileManager.default.removeItem(atPath: short) }
        #expect { try CSVTable(path: short) } throws: { "\($0)".contains("line 3") && "\($0)".contains("has 1 values, the header has 2") }
        let word = try write("a\n1\nx\n")
        defer { try? FileManager.default.removeItem(atPath: word) }
        #expect { try CSVTable(path: word).numbers(column: 0) } throws: { "\($0)".contains("line 3 column 'a'") && "\($0)".contains("'x' is not a number") }
        let empty = try write("# nothing\n\n")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect { try CSVTable(path: empty) } throws: { "\($0)".contains("the table is empty") }
    }
}
