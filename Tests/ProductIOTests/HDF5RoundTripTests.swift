import DigsCore
import Foundation
import ProductIO
import Testing

/// Every dtype and rank survives a write and a read; appends and hyperslabs address the
/// right elements; attributes of every kind round-trip.
struct HDF5RoundTripTests {
    static let shapes: [[Int]] = [[7], [3, 5], [2, 3, 4], [2, 2, 3, 5]]

    func roundTrip<T: HDF5Element>(_ type: T.Type, shape: [Int]) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("round.h5")
        let original = try NDArray(shape: shape, data: sampleValues(T.self, count: shape.reduce(1, *)))
        do {
            let file = try HDF5File.create(path: path)
            let d = try file.createDataset("group/data", dtype: T.dtype, shape: shape)
            try d.write(original)
            try file.close()
        }
        let file = try HDF5File.open(path: path)
        let d = try file.dataset("group/data")
        #expect(d.dtype == T.dtype)
        #expect(d.shape == shape)
        let back: NDArray<T> = try d.read()
        #expect(back == original)
    }

    @Test(arguments: shapes) func float32(_ shape: [Int]) throws { try roundTrip(Float.self, shape: shape) }
    @Test(arguments: shapes) func float64(_ shape: [Int]) throws { try roundTrip(Double.self, shape: shape) }
    @Test(arguments: shapes) func int32(_ shape: [Int]) throws { try roundTrip(Int32.self, shape: shape) }
    @Test(arguments: shapes) func int64(_ shape: [Int]) throws { try roundTrip(Int64.self, shape: shape) }
    @Test(arguments: shapes) func uint8(_ shape: [Int]) throws { try roundTrip(UInt8.self, shape: shape) }

    @Test func nonFiniteFloatsSurvive() throws {
        let dir = try TemporaryDirectory()
        let file = try HDF5File.create(path: dir.path("nan.h5"))
        let values: [Double] = [.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude]
        let d = try file.createDataset("x", dtype: .float64, shape: [5])
        try d.write(NDArray(shape: [5], data: values))
        let back: NDArray<Double> = try d.read()
        #expect(back.data[0].isNaN)
        #expect(Array(back.data[1...]).elementsEqual(values[1...]) { $0 == $1 && $0.sign == $1.sign })
    }

    @Test func appendsGrowAxisZeroAndHyperslabsReadTheRightBlock() throws {
        let dir = try TemporaryDirectory()
        let file = try HDF5File.create(path: dir.path("append.h5"))
        let d = try file.createDataset("x", dtype: .float32, shape: [0, 4], extendable: true, chunkRows: 3)
        for block in 0..<5 {
            let rows = block + 1
            let start = (0..<block).map { $0 + 1 }.reduce(0, +)
            let values = (0..<(rows * 4)).map { Float((start * 4) + $0) }
            try d.append(NDArray(shape: [rows, 4], data: values))
        }
        #expect(d.shape == [15, 4])
        let all: NDArray<Float> = try d.read()
        #expect(all.data == (0..<60).map(Float.init))
        let rows: NDArray<Float> = try d.readRows(6..<9)
        #expect(rows.data == (24..<36).map(Float.init))
        let block: NDArray<Float> = try d.readHyperslab(start: [2, 1], count: [3, 2])
        #expect(block.data == [9, 10, 13, 14, 17, 18])
        try d.writeHyperslab(NDArray(shape: [1, 2], data: [-1, -2]), start: [14, 2])
        let last: NDArray<Float> = try d.readRows(14..<15)
        #expect(last.data == [56, 57, -1, -2])
    }

    @Test func outOfRangeBlocksAndWrongAppendsAreErrors() throws {
        let dir = try TemporaryDirectory()
        let file = try HDF5File.create(path: dir.path("range.h5"))
        let fixed = try file.createDataset("fixed", dtype: .float64, shape: [3, 2])
        #expect(throws: DigsError.self) { let _: NDArray<Double> = try fixed.readRows(2..<4) }
        #expect(throws: DigsError.self) { try fixed.append(NDArray(shape: [1, 3], data: [1.0, 2, 3])) }
        // A fixed-size dataset cannot grow: the HDF5 error becomes a Swift error naming the file.
        do {
            try fixed.append(NDArray(shape: [1, 2], data: [1.0, 2]))
            Issue.record("append to a fixed dataset succeeded")
        } catch let error as DigsError {
            #expect(String(describing: error).contains(dir.path("range.h5")))
        }
    }

    @Test func attributesOfEveryKindRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("attrs.h5")
        let values: [String: AttributeValue] = [
            "s": .string("Å and ☉ in UTF-8"), "ss": .strings(["a", "", "log(solMass)"]),
            "i": .int(-42), "ii": .ints([1, 2, Int64.max]),
            "d": .double(3.5e-9), "dd": .doubles([1.5, -2, .infinity]),
        ]
        do {
            let file = try HDF5File.create(path: path)
            let d = try file.createDataset("x", dtype: .uint8, shape: [1])
            for (k, v) in values {
                try file.setAttribute(k, v)
                try d.setAttribute(k, v)
            }
            try file.setAttribute("i", .int(7))  // replacing works
            try file.close()
        }
        let file = try HDF5File.open(path: path)
        let d = try file.dataset("x")
        for (k, v) in values {
            #expect(try d.attribute(k) == v)
            #expect(try file.attribute(k) == (k == "i" ? .int(7) : v))
        }
        #expect(try file.attribute("absent") == nil)
        #expect(try Set(file.attributeNames()) == Set(values.keys))
    }

    @Test func stringDatasetsRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let file = try HDF5File.create(path: dir.path("ids.h5"))
        let ids = ["spec-0266-51602-0001", "gal_β", ""]
        _ = try file.createStringDataset("ids", values: ids)
        #expect(try file.dataset("ids").readStrings() == ids)
        #expect(try file.dataset("ids").dtype == .string)
        #expect(try file.datasetPaths() == ["ids"])
    }
}
