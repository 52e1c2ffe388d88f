import CHDF5
import DigsCore

/// An open HDF5 dataset: whole and partial (hyperslab) reads and writes, and appends along
/// axis 0 for datasets created extendable.
public final class HDF5Dataset: HDF5Object {
    public let file: HDF5File
    public let objectPath: String
    public var filePath: String { file.filePath }
    public var objectID: hid_t { id }
    private let id: hid_t
    /// The stored element type.
    public let dtype: HDF5DType

    init(file: HDF5File, path: String, id: hid_t) throws {
        self.file = file
        self.objectPath = path
        self.id = id
        let type = H5Dget_type(id)
        defer { H5Tclose(type) }
        guard let dtype = HDF5DType.of(typeID: type) else {
            H5Dclose(id)
            throw DigsError.invalidProduct(path: file.filePath, field: "dataset '\(path)'",
                                           problem: "has an element type DIGS does not store")
        }
        self.dtype = dtype
    }

    deinit { H5Dclose(id) }

    /// The current extent of each axis.
    public var shape: [Int] {
        let space = H5Dget_space(id)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        var dims = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(space, &dims, nil)
        return dims.map { Int($0) }
    }

    /// The whole dataset, converted by HDF5 to `T` if stored as another numeric type.
    public func read<T: HDF5Element>(as type: T.Type = T.self) throws -> NDArray<T> {
        let shape = self.shape
        return try readHyperslab(start: shape.map { _ in 0 }, count: shape)
    }

    /// Rows `range` of axis 0 (all of the other axes): the streaming read.
    public func readRows<T: HDF5Element>(_ range: Range<Int>, as type: T.Type = T.self) throws -> NDArray<T> {
        let shape = self.shape
        return try readHyperslab(start: [range.lowerBound] + shape.dropFirst().map { _ in 0 },
                                 count: [range.count] + shape.dropFirst())
    }

    /// The block starting at `start` with extent `count` on each axis.
    public func readHyperslab<T: HDF5Element>(start: [Int], count: [Int], as type: T.Type = T.self) throws -> NDArray<T> {
        try checkNumeric("read")
        try checkBlock(start: start, count: count, within: shape, operation: "read")
        try file.checkReadSize(elements: count.reduce(1, *), elementBytes: MemoryLayout<T>.stride, what: "dataset '\(objectPath)'")
        var result = NDArray<T>(repeating: T.zero, shape: count)
        guard result.count > 0 else { return result }
        try withSelection(start: start, count: count) { memSpace, fileSpace in
            try result.data.withUnsafeMutableBytes { raw in
                try HDF5.check(H5Dread(id, T.hdf5MemoryType, memSpace, fileSpace, digs_h5p_default(), raw.baseAddress),
                               path: filePath, "reading dataset '\(objectPath)'")
            }
        }
        return result
    }

    /// Writes the whole dataset; `array.shape` must equal the dataset's shape.
    public func write<T: HDF5Element>(_ array: NDArray<T>) throws {
        try writeHyperslab(array, start: shape.map { _ in 0 })
    }

    /// Writes `array` into the block that starts at `start`.
    public func writeHyperslab<T: HDF5Element>(_ array: NDArray<T>, start: [Int]) throws {
        try checkNumeric("write")
        try checkBlock(start: start, count: array.shape, within: shape, operation: "write")
        guard array.count > 0 else { return }
        try withSelection(start: start, count: array.shape) { memSpace, fileSpace in
            try array.data.withUnsafeBytes { raw in
                try HDF5.check(H5Dwrite(id, T.hdf5MemoryType, memSpace, fileSpace, digs_h5p_default(), raw.baseAddress),
                               path: filePath, "writing dataset '\(objectPath)'")
            }
        }
    }

    /// Appends rows along axis 0 of an extendable dataset.
    public func append<T: HDF5Element>(_ rows: NDArray<T>) throws {
        let current = shape
        guard rows.rank == current.count, Array(rows.shape.dropFirst()) == Array(current.dropFirst()) else {
            throw DigsError.invalidInput(field: "\(filePath):\(objectPath)",
                                         problem: "cannot append rows of shape \(rows.shape) to a dataset of shape \(current)")
        }
        var newDims = current.map { hsize_t($0) }
        newDims[0] += hsize_t(rows.shape[0])
        try HDF5.check(H5Dset_extent(id, &newDims), path: filePath,
                       "extending dataset '\(objectPath)' (was it created extendable?)")
        try writeHyperslab(rows, start: [current[0]] + current.dropFirst().map { _ in 0 })
    }

    /// Appends strings to an extendable 1-D string dataset (`createStringDataset(extendable:)`).
    public func appendStrings(_ values: [String]) throws {
        guard dtype == .string, shape.count == 1 else {
            throw DigsError.invalidInput(field: "\(filePath):\(objectPath)", problem: "strings are appended to a 1-D string dataset only")
        }
        guard !values.isEmpty else { return }
        let start = shape[0]
        var newDims = [hsize_t(start + values.count)]
        try HDF5.check(H5Dset_extent(id, &newDims), path: filePath, "extending dataset '\(objectPath)' (was it created extendable?)")
        let type = HDF5StringType.variableUTF8()
        defer { H5Tclose(type) }
        try withSelection(start: [start], count: [values.count]) { memSpace, fileSpace in
            try HDF5StringType.withCStringPointers(values) { pointers in
                try HDF5.check(H5Dwrite(id, type, memSpace, fileSpace, digs_h5p_default(), pointers),
                               path: filePath, "writing dataset '\(objectPath)'")
            }
        }
    }

    /// The whole dataset as strings (for string datasets such as ids).
    public func readStrings() throws -> [String] {
        guard dtype == .string else {
            throw DigsError.invalidProduct(path: filePath, field: "dataset '\(objectPath)'",
                                           problem: "holds \(dtype.rawValue), expected strings")
        }
        let n = shape.reduce(1, *)
        guard n > 0 else { return [] }
        let fileType = H5Dget_type(id)
        defer { H5Tclose(fileType) }
        try file.checkReadSize(elements: n, elementBytes: 16, what: "dataset '\(objectPath)'")
        if H5Tis_variable_str(fileType) > 0 {
            return try HDF5StringType.readVariable(id, isDataset: true, count: n, path: filePath, what: "dataset '\(objectPath)'")
        }
        let size = H5Tget_size(fileType)
        try file.checkReadSize(elements: n, elementBytes: size, what: "dataset '\(objectPath)'")
        var bytes = [UInt8](repeating: 0, count: size * n)
        try HDF5.check(H5Dread(id, fileType, digs_h5s_all(), digs_h5s_all(), digs_h5p_default(), &bytes),
                       path: filePath, "reading dataset '\(objectPath)'")
        return HDF5StringType.splitFixed(bytes, size: size, count: n)
    }

    // MARK: - Selections

    private func checkNumeric(_ operation: String) throws {
        if dtype == .string {
            throw DigsError.invalidProduct(path: filePath, field: "dataset '\(objectPath)'",
                                           problem: "holds strings; cannot \(operation) it as numbers")
        }
    }

    private func checkBlock(start: [Int], count: [Int], within shape: [Int], operation: String) throws {
        let fits = start.count == shape.count && count.count == shape.count
            && zip(zip(start, count), shape).allSatisfy { $0.0 >= 0 && $0.1 >= 0 && $0.0 + $0.1 <= $1 }
        if !fits {
            throw DigsError.invalidInput(
                field: "\(filePath):\(objectPath)",
                problem: "cannot \(operation) block start \(start) count \(count) in a dataset of shape \(shape)")
        }
    }

    private func withSelection(start: [Int], count: [Int], _ body: (hid_t, hid_t) throws -> Void) throws {
        let fileSpace = H5Dget_space(id)
        defer { H5Sclose(fileSpace) }
        var hStart = start.map { hsize_t($0) }
        var hCount = count.map { hsize_t($0) }
        try HDF5.check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &hStart, nil, &hCount, nil),
                       path: filePath, "selecting a block of '\(objectPath)'")
        let memSpace = H5Screate_simple(Int32(count.count), &hCount, nil)
        defer { H5Sclose(memSpace) }
        try body(memSpace, fileSpace)
    }
}
