import DigsCore
import FITSIO
import Foundation
import Testing

@Suite("FITS tables: written with FITSTableWriter, read back with cfitsio")
struct FITSTableRoundTripTests {
    @Test("values (NaN included), vector cells and keywords survive; checksums are written")
    func roundTrip() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("digs-fits-\(getpid()).fits").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try FITSTableWriter(path: path, primaryKeywords: [
            FITSKeyword("ORIGIN", .string("DIGS test"), "who"),
            FITSKeyword("LONGKEY", .string(String(repeating: "x", count: 100)), "a long string"),
        ])
        try writer.createTable(extname: "T", columns: [
            FITSColumn(name: "A", format: "D", unit: "Gyr", comment: "doubles"),
            FITSColumn(name: "V", format: "6E", unit: "", comment: "vectors", dimensions: [3, 2]),
            FITSColumn(name: "F", format: "B", unit: "", comment: "flags"),
        ], keywords: [])
        let a = (0..<1000).map { $0 % 7 == 0 ? Double.nan : Double($0) * 0.25 }
        // Two blocks, as the exporter streams them.
        try writer.write(column: 1, firstRow: 1, Array(a[0..<600]))
        try writer.write(column: 1, firstRow: 601, Array(a[600...]))
        try writer.write(column: 2, firstRow: 1, (0..<6000).map { Float($0) })
        try writer.write(column: 3, firstRow: 1, (0..<1000).map { UInt8($0 % 8) })
        try writer.finish()

        let file = try FITSFile(readingFrom: path)
        #expect(try file.hduCount() == 2)
        #expect(try file.stringKeyword("ORIGIN") == "DIGS test")
        #expect(try file.stringKeyword("LONGKEY") == String(repeating: "x", count: 100))  // continued over CONTINUE cards
        #expect(try file.stringKeyword("NOSUCH") == nil)
        #expect(try file.stringKeyword("CHECKSUM") != nil)
        try file.moveTo(extname: "T")
        #expect(try file.rowCount() == 1000)
        let back = try file.readColumn("A")
        for (x, y) in zip(a, back) { #expect(x == y || (x.isNaN && y.isNaN)) }
        #expect(try file.readColumn("V") == (0..<6000).map(Double.init))
        #expect(try file.readColumn("F") == (0..<1000).map { Double($0 % 8) })
        #expect(try file.stringKeyword("TUNIT1") == "Gyr")
        #expect(try file.stringKeyword("TDIM2") == "(3,2)")
        #expect(try file.stringKeyword("DATASUM") != nil)
    }
}
