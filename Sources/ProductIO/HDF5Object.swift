import Synchronization
import CHDF5
import Foundation
import DigsCore

/// An HDF5 object that can carry attributes: the file's root group, a group or a dataset.
public protocol HDF5Object: AnyObject {
    /// The HDF5 identifier of the open object.
    var objectID: hid_t { get }
    /// The file path, for error messages.
    var filePath: String { get }
    /// The object's path inside the file ("/" for the root).
    var objectPath: String { get }
}

extension HDF5Object {
    /// "file:/path/in/file", used to name the field in errors.
    var location: String { objectPath == "/" ? filePath : "\(filePath):\(objectPath)" }

    /// Whether an attribute of this name exists.
    public func hasAttribute(_ name: String) -> Bool {
        H5Aexists(objectID, name) > 0
    }

    /// The names of all attributes, in creation/name order.
    public func attributeNames() throws -> [String] {
        var info = H5O_info_t()
        try HDF5.check(H5Oget_info2(objectID, &info, UInt32(H5O_INFO_NUM_ATTRS)), path: location, "reading attribute count")
        var names: [String] = []
        for i in 0..<info.num_attrs {
            let size = H5Aget_name_by_idx(objectID, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, digs_h5p_default())
            try HDF5.check(size, path: location, "reading attribute name")
            var buffer = [CChar](repeating: 0, count: Int(size) + 1)
            _ = H5Aget_name_by_idx(objectID, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, Int(size) + 1, digs_h5p_default())
            names.append(String(decoding: buffer.prefix(Int(size)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    /// Writes (or replaces) an attribute.
    public func setAttribute(_ name: String, _ value: AttributeValue) throws {
        if H5Aexists(objectID, name) > 0 {
            try HDF5.check(H5Adelete(objectID, name), path: location, "replacing attribute '\(name)'")
        }
        switch value {
        case let .string(s): try writeStrings(name, [s], scalar: true)
        case let .strings(a): try writeStrings(name, a, scalar: false)
        case let .int(i): try writeNumbers(name, [i], type: digs_h5t_native_int64(), scalar: true)
        case let .ints(a): try writeNumbers(name, a, type: digs_h5t_native_int64(), scalar: false)
        case let .double(d): try writeNumbers(name, [d], type: digs_h5t_native_double(), scalar: true)
        case let .doubles(a): try writeNumbers(name, a, type: digs_h5t_native_double(), scalar: false)
        }
    }

    /// Reads an attribute, or nil when it does not exist.
    /// - Throws: when it exists but has a type DIGS does not store.
    public func attribute(_ name: String) throws -> AttributeValue? {
        guard H5Aexists(objectID, name) > 0 else { return nil }
        let attr = try HDF5.check(H5Aopen(objectID, name, digs_h5p_default()), path: location, "opening attribute '\(name)'")
        defer { H5Aclose(attr) }
        let space = H5Aget_space(attr)
        defer { H5Sclose(space) }
        let scalar = H5Sget_simple_extent_ndims(space) == 0
        let count = Int(H5Sget_simple_extent_npoints(space))
        // DIGS's attributes hold at most a few thousand values: a larger count is a damaged extent.
        guard count >= 0, count <= 1 << 20 else {
            throw DigsError.unreadableFile(path: location, reason: "damaged HDF5 file: attribute '\(name)' claims \(count) values")
        }
        let fileType = H5Aget_type(attr)
        defer { H5Tclose(fileType) }
        switch H5Tget_class(fileType) {
        case H5T_STRING:
            let strings = try readStrings(attr, fileType: fileType, count: count, name: name)
            return scalar ? .string(strings.first ?? "") : .strings(strings)
        case H5T_INTEGER:
            var values = [Int64](repeating: 0, count: count)
            try HDF5.check(H5Aread(attr, digs_h5t_native_int64(), &values), path: location, "reading attribute '\(name)'")
            return scalar ? .int(values[0]) : .ints(values)
        case H5T_FLOAT:
            var values = [Double](repeating: 0, count: count)
            try HDF5.check(H5Aread(attr, digs_h5t_native_double(), &values), path: location, "reading attribute '\(name)'")
            return scalar ? .double(values[0]) : .doubles(values)
        default:
            throw DigsError.invalidProduct(path: location, field: "attribute '\(name)'",
                                           problem: "has a type DIGS does not read (expected string, integer or float)")
        }
    }

    private func createAttribute(_ name: String, type: hid_t, count: Int, scalar: Bool) throws -> hid_t {
        var dims = [hsize_t(count)]
        let space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        return try HDF5.check(H5Acreate2(objectID, name, type, space, digs_h5p_default(), digs_h5p_default()),
                              path: location, "creating attribute '\(name)'")
    }

    private func writeNumbers<T>(_ name: String, _ values: [T], type: hid_t, scalar: Bool) throws {
        let attr = try createAttribute(name, type: type, count: values.count, scalar: scalar)
        defer { H5Aclose(attr) }
        try values.withUnsafeBytes { raw in
            try HDF5.check(H5Awrite(attr, type, raw.baseAddress), path: location, "writing attribute '\(name)'")
        }
    }

    private func writeStrings(_ name: String, _ values: [String], scalar: Bool) throws {
        let type = HDF5StringType.variableUTF8()
        defer { H5Tclose(type) }
        let attr = try createAttribute(name, type: type, count: values.count, scalar: scalar)
        defer { H5Aclose(attr) }
        try HDF5StringType.withCStringPointers(values) { pointers in
            try HDF5.check(H5Awrite(attr, type, pointers), path: location, "writing attribute '\(name)'")
        }
    }

    private func readStrings(_ attr: hid_t, fileType: hid_t, count: Int, name: String) throws -> [String] {
        if H5Tis_variable_str(fileType) > 0 {
            return try HDF5StringType.readVariable(attr, isDataset: false, count: count, path: location,
                                                   what: "attribute '\(name)'")
        }
        let size = H5Tget_size(fileType)
        var bytes = [UInt8](repeating: 0, count: size * count)
        try HDF5.check(H5Aread(attr, fileType, &bytes), path: location, "reading attribute '\(name)'")
        return HDF5StringType.splitFixed(bytes, size: size, count: count)
    }
}

/// Helpers for HDF5 string datatypes.
enum HDF5StringType {
    /// A new variable-length UTF-8 string type (caller closes it).
    static func variableUTF8() -> hid_t {
        let type = H5Tcopy(digs_h5t_c_s1())
        H5Tset_size(type, digs_h5t_variable())
        H5Tset_cset(type, H5T_CSET_UTF8)
        return type
    }

    /// Calls `body` with an array of C string pointers that stay valid during the call.
    static func withCStringPointers<R>(_ strings: [String], _ body: (UnsafeRawPointer) throws -> R) rethrows -> R {
        let duplicated = strings.map { strdup($0) }
        defer { duplicated.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = duplicated.map { UnsafePointer($0) }
        return try pointers.withUnsafeMutableBytes { try body(UnsafeRawPointer($0.baseAddress!)) }
    }

    /// Files whose string heap crashed or hung a read, with the error to repeat.
    static let damaged = Mutex<[String: DigsError]>([:])

    /// Reads `count` variable-length strings of an attribute or a whole dataset in a child
    /// process (`digs_read_vlen_strings_isolated`): they live in the file's global heap, whose
    /// corruption makes libhdf5 crash or loop inside H5Aread/H5Dread. A crash or a hang of the
    /// child is a clean error naming the file.
    static func readVariable(_ object: hid_t, isDataset: Bool, count: Int, path: String, what: String) throws -> [String] {
        guard count > 0 else { return [] }
        if let known = damaged.withLock({ $0[path] }) { throw known }
        let memType = variableUTF8()
        defer { H5Tclose(memType) }
        var buffer: UnsafeMutablePointer<CChar>?
        var length = 0, signal: Int32 = 0
        // The child is forked from a multithreaded process: it can inherit a lock another thread
        // held at that instant (libhdf5's, the allocator's) and wait forever — a sound file then
        // looked damaged under load. A second child, forked at another instant, does not; a
        // damaged heap hangs both. Two tries of 5 s keep a damaged file's error under 12 s.
        let timeout = Int32(min(30_000, 5000 + count / 100))
        var status = digs_read_vlen_strings_isolated(object, isDataset ? 1 : 0, memType, count, timeout, &buffer, &length, &signal)
        if status == -2 {
            free(buffer)
            status = digs_read_vlen_strings_isolated(object, isDataset ? 1 : 0, memType, count, timeout, &buffer, &length, &signal)
        }
        defer { free(buffer) }
        func fail(_ reason: String) -> DigsError {
            let error = DigsError.unreadableFile(path: path, reason: reason)
            damaged.withLock { $0[path] = error }  // later reads of this file fail at once
            return error
        }
        switch status {
        case 0: break
        case -1: throw fail("damaged HDF5 file: reading \(what) crashed libhdf5 (signal \(signal); a corrupt string heap)")
        case -2: throw fail("damaged HDF5 file: reading \(what) did not finish within \(timeout) ms, twice (a corrupt string heap)")
        case -3: throw DigsError.unreadableFile(path: path, reason: "damaged HDF5 file: \(what) cannot be read (libhdf5 reported an error)")
        default: throw DigsError.unreadableFile(path: path, reason: "reading \(what): a system call failed (\(String(cString: strerror(errno))))")
        }
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(buffer!).assumingMemoryBound(to: UInt8.self), count: length)
        let strings = bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
        guard strings.count == count else {
            throw DigsError.unreadableFile(path: path, reason: "damaged HDF5 file: \(what) gave \(strings.count) strings, expected \(count)")
        }
        return strings
    }

    /// Splits fixed-length, NUL-padded strings.
    static func splitFixed(_ bytes: [UInt8], size: Int, count: Int) -> [String] {
        (0..<count).map { i in
            let slice = bytes[(i * size)..<((i + 1) * size)]
            let end = slice.firstIndex(of: 0) ?? slice.endIndex
            return String(decoding: slice[slice.startIndex..<end], as: UTF8.self)
        }
    }
}
