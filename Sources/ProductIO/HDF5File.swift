import CHDF5
import DigsCore
import Foundation

/// An open HDF5 file; its root group carries attributes like any `HDF5Object`.
///
/// Closing is explicit (`close()`, which reports errors) and also happens on deinit.
public final class HDF5File: HDF5Object {
    public let filePath: String
    public var objectPath: String { "/" }
    public var objectID: hid_t { id }
    private var id: hid_t
    public let isWritable: Bool

    /// Bytes of the file (through a symbolic link: the file's), taken once when a read-only
    /// file is opened; a file being written is measured at each check.
    private let readOnlySize: Int?
    var sizeOnDisk: Int {
        if let readOnlySize { return readOnlySize }
        return Self.measure(filePath)
    }
    private static func measure(_ path: String) -> Int {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return (try? FileManager.default.attributesOfItem(atPath: resolved)[.size] as? Int) ?? 0
    }

    private init(path: String, id: hid_t, writable: Bool) {
        self.filePath = path
        self.id = id
        self.isWritable = writable
        self.readOnlySize = writable ? nil : Self.measure(path)
    }

    /// Creates a new file, replacing any file at `path`.
    public static func create(path: String) throws -> HDF5File {
        HDF5.silenceErrorStack()
        let id = H5Fcreate(path, digs_h5f_acc_trunc(), digs_h5p_default(), digs_h5p_default())
        try HDF5.check(id, path: path, "creating file")
        return HDF5File(path: path, id: id, writable: true)
    }

    /// Opens an existing file, with clear errors for a missing, non-HDF5 or damaged file.
    public static func open(path: String, writable: Bool = false) throws -> HDF5File {
        HDF5.silenceErrorStack()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DigsError.fileNotFound(path: path)
        }
        if isDirectory.boolValue {
            throw DigsError.unreadableFile(path: path, reason: "is a directory, expected an HDF5 file")
        }
        try requireRegularFile(path, expected: "an HDF5 file")
        let signature = H5Fis_hdf5(path)
        if signature == 0 {
            throw DigsError.unreadableFile(path: path, reason: "not an HDF5 file (no HDF5 signature)")
        }
        if signature < 0 {
            throw DigsError.unreadableFile(path: path, reason: HDF5.drainErrorStack())
        }
        let id = H5Fopen(path, writable ? digs_h5f_acc_rdwr() : digs_h5f_acc_rdonly(), digs_h5p_default())
        if id < 0 {
            throw DigsError.unreadableFile(path: path, reason: "damaged or truncated HDF5 file (\(HDF5.drainErrorStack()))")
        }
        return HDF5File(path: path, id: id, writable: writable)
    }

    /// Flushes and closes the file; further use is an error. The flush writes every buffered
    /// byte even while dataset handles are still open: HDF5 only really closes the file when
    /// the last of them goes, so without it a product renamed into place after `close()` could
    /// be incomplete on disk if the process were killed before then.
    public func close() throws {
        guard id >= 0 else { return }
        if isWritable { try HDF5.check(H5Fflush(id, H5F_SCOPE_GLOBAL), path: filePath, "flushing file") }
        let status = H5Fclose(id)
        id = -1
        try HDF5.check(status, path: filePath, "closing file")
    }

    deinit {
        if id >= 0 { H5Fclose(id) }
    }

    /// Refuses a read of `elements` × `elementBytes` bytes that the file cannot hold: stored data
    /// expands at most ~1032× under deflate, so a larger request comes from a corrupted extent
    /// (which would otherwise be allocated first and fail, or exhaust memory, after).
    public func checkReadSize(elements: Int, elementBytes: Int, what: String) throws {
        let fileBytes = sizeOnDisk
        let limit = 1100 * max(fileBytes, 1) + (1 << 20)
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: max(elementBytes, 1))
        guard !overflow, elements >= 0, bytes <= limit else {
            throw DigsError.unreadableFile(path: filePath, reason: "damaged HDF5 file: \(what) claims \(elements) elements of \(elementBytes) bytes, more than a \(fileBytes)-byte file can hold")
        }
    }

    /// Whether a dataset or group exists at `path` (intermediate groups must exist too).
    public func exists(_ path: String) -> Bool {
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += (prefix.isEmpty ? "" : "/") + part
            if H5Lexists(id, prefix, digs_h5p_default()) <= 0 { return false }
        }
        return !prefix.isEmpty
    }

    /// The paths of every dataset in the file, sorted by name.
    public func datasetPaths() throws -> [String] {
        final class Box { var paths: [String] = [] }
        let box = Box()
        let status = H5Ovisit2(id, H5_INDEX_NAME, H5_ITER_INC, { _, name, info, data in
            guard let name, let info, let data else { return 0 }
            if info.pointee.type == H5O_TYPE_DATASET {
                Unmanaged<Box>.fromOpaque(data).takeUnretainedValue().paths.append(String(cString: name))
            }
            return 0
        }, Unmanaged.passUnretained(box).toOpaque(), UInt32(H5O_INFO_BASIC))
        try HDF5.check(status, path: filePath, "listing datasets")
        return box.paths.sorted()
    }

    /// Opens an existing dataset.
    public func dataset(_ path: String) throws -> HDF5Dataset {
        guard exists(path) else {
            throw DigsError.invalidProduct(path: filePath, field: "dataset '\(path)'", problem: "is missing")
        }
        let dataset = H5Dopen2(id, path, digs_h5p_default())
        try HDF5.check(dataset, path: filePath, "opening dataset '\(path)'")
        return try HDF5Dataset(file: self, path: path, id: dataset)
    }

    /// Creates a dataset of `dtype` with the given shape.
    ///
    /// - Parameters:
    ///   - shape: the initial extent of each axis.
    ///   - extendable: when true, axis 0 may grow without limit (`append`).
    ///   - chunkRows: rows of axis 0 per chunk; by default about 1 MiB per chunk.
    ///   - compress: shuffle + deflate (level 4) when true.
    public func createDataset(_ path: String, dtype: HDF5DType, shape: [Int], extendable: Bool = false,
                              chunkRows: Int? = nil, compress: Bool = true) throws -> HDF5Dataset {
        guard dtype != .string else {
            throw DigsError.invalidInput(field: "dataset '\(path)'", problem: "string datasets are written with createStringDataset")
        }
        guard !shape.isEmpty else {
            throw DigsError.invalidInput(field: "dataset '\(path)'", problem: "rank must be at least 1")
        }
        var dims = shape.map { hsize_t($0) }
        var maxDims = dims
        if extendable { maxDims[0] = digs_h5s_unlimited() }
        let space = H5Screate_simple(Int32(shape.count), &dims, &maxDims)
        try HDF5.check(space, path: filePath, "creating dataspace for '\(path)'")
        defer { H5Sclose(space) }

        let dcpl = H5Pcreate(digs_h5p_dataset_create())
        defer { H5Pclose(dcpl) }
        let rowBytes = max(1, shape.dropFirst().reduce(1, *)) * dtype.byteSize
        // About 1 MiB per chunk; a fixed dataset never gets chunks larger than itself.
        let targetRows = max(1, (1 << 20) / rowBytes)
        let rows = max(1, chunkRows ?? (extendable ? targetRows : min(max(shape[0], 1), targetRows)))
        var chunk = [hsize_t(rows)] + shape.dropFirst().map { hsize_t(max($0, 1)) }
        if extendable || compress || shape.contains(0) {
            try HDF5.check(H5Pset_chunk(dcpl, Int32(chunk.count), &chunk), path: filePath, "chunking '\(path)'")
        }
        if compress {
            try HDF5.check(H5Pset_shuffle(dcpl), path: filePath, "enabling shuffle for '\(path)'")
            try HDF5.check(H5Pset_deflate(dcpl, 4), path: filePath, "enabling deflate for '\(path)'")
        }
        let lcpl = H5Pcreate(digs_h5p_link_create())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        let type = HDF5.fileType(of: dtype)
        let dataset = H5Dcreate2(id, path, type, space, lcpl, dcpl, digs_h5p_default())
        try HDF5.check(dataset, path: filePath, "creating dataset '\(path)'")
        return try HDF5Dataset(file: self, path: path, id: dataset)
    }

    /// Creates a 1-D dataset of variable-length UTF-8 strings (e.g. observation ids);
    /// `extendable`: it may grow (`HDF5Dataset.appendStrings`), in chunks of 4096 strings.
    public func createStringDataset(_ path: String, values: [String], extendable: Bool = false) throws -> HDF5Dataset {
        var dims = [hsize_t(values.count)]
        var maxDims = [extendable ? digs_h5s_unlimited() : hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, &maxDims)
        defer { H5Sclose(space) }
        let type = HDF5StringType.variableUTF8()
        defer { H5Tclose(type) }
        let lcpl = H5Pcreate(digs_h5p_link_create())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        let dcpl = H5Pcreate(digs_h5p_dataset_create())
        defer { H5Pclose(dcpl) }
        if extendable {
            var chunk = [hsize_t(4096)]
            try HDF5.check(H5Pset_chunk(dcpl, 1, &chunk), path: filePath, "chunking '\(path)'")
        }
        let dataset = H5Dcreate2(id, path, type, space, lcpl, dcpl, digs_h5p_default())
        try HDF5.check(dataset, path: filePath, "creating dataset '\(path)'")
        if !values.isEmpty {
            try HDF5StringType.withCStringPointers(values) { pointers in
                try HDF5.check(H5Dwrite(dataset, type, digs_h5s_all(), digs_h5s_all(), digs_h5p_default(), pointers),
                               path: filePath, "writing dataset '\(path)'")
            }
        }
        return try HDF5Dataset(file: self, path: path, id: dataset)
    }

    /// Creates a group (and any missing parents).
    public func createGroup(_ path: String) throws {
        let lcpl = H5Pcreate(digs_h5p_link_create())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        let group = H5Gcreate2(id, path, lcpl, digs_h5p_default(), digs_h5p_default())
        try HDF5.check(group, path: filePath, "creating group '\(path)'")
        H5Gclose(group)
    }
}

extension HDF5 {
    /// The little-endian file type used to store `dtype` (the native types on x86-64/arm64).
    static func fileType(of dtype: HDF5DType) -> hid_t {
        switch dtype {
        case .float32: return Float.hdf5MemoryType
        case .float64: return Double.hdf5MemoryType
        case .int32: return Int32.hdf5MemoryType
        case .int64: return Int64.hdf5MemoryType
        case .uint8: return UInt8.hdf5MemoryType
        case .string: return digs_h5t_c_s1()
        }
    }
}
