import CHDF5
import DigsCore

/// The element types a DIGS product stores, by the names used in `schemas/*.json`.
public enum HDF5DType: String, Sendable, Codable, CaseIterable {
    case float32, float64, int32, int64, uint8, string

    /// The size of one element in bytes (pointer size for variable-length strings).
    public var byteSize: Int {
        switch self {
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .uint8: return 1
        case .string: return MemoryLayout<UnsafePointer<CChar>>.size
        }
    }
}

/// A Swift numeric type that maps one-to-one onto an HDF5 native type.
public protocol HDF5Element: Sendable, Equatable {
    /// The HDF5 native memory type of this Swift type.
    static var hdf5MemoryType: hid_t { get }
    /// The schema name of this type.
    static var dtype: HDF5DType { get }
    /// A value used to fill new arrays.
    static var zero: Self { get }
}

extension Float: HDF5Element {
    public static var hdf5MemoryType: hid_t { digs_h5t_native_float() }
    public static var dtype: HDF5DType { .float32 }
}
extension Double: HDF5Element {
    public static var hdf5MemoryType: hid_t { digs_h5t_native_double() }
    public static var dtype: HDF5DType { .float64 }
}
extension Int32: HDF5Element {
    public static var hdf5MemoryType: hid_t { digs_h5t_native_int32() }
    public static var dtype: HDF5DType { .int32 }
}
extension Int64: HDF5Element {
    public static var hdf5MemoryType: hid_t { digs_h5t_native_int64() }
    public static var dtype: HDF5DType { .int64 }
}
extension UInt8: HDF5Element {
    public static var hdf5MemoryType: hid_t { digs_h5t_native_uint8() }
    public static var dtype: HDF5DType { .uint8 }
}

extension HDF5DType {
    /// The DIGS dtype of a stored type; nil for types DIGS does not store, and for numeric
    /// types whose bit layout is not the standard one (a damaged type message would otherwise
    /// send libhdf5's conversion into a loop over nonsense bit fields).
    static func of(typeID: hid_t) -> HDF5DType? {
        let size = H5Tget_size(typeID)
        let klass = H5Tget_class(typeID)
        if klass == H5T_FLOAT || klass == H5T_INTEGER {
            guard H5Tget_precision(typeID) == 8 * size, H5Tget_offset(typeID) == 0 else { return nil }
        }
        switch klass {
        case H5T_FLOAT:
            var (spos, epos, esize, mpos, msize) = (0, 0, 0, 0, 0)
            guard H5Tget_fields(typeID, &spos, &epos, &esize, &mpos, &msize) >= 0 else { return nil }
            let ieee = size == 4 ? (31, 23, 8, 0, 23) : size == 8 ? (63, 52, 11, 0, 52) : (-1, -1, -1, -1, -1)
            guard (spos, epos, esize, mpos, msize) == ieee, H5Tget_ebias(typeID) == (size == 4 ? 127 : 1023) else { return nil }
            return size == 4 ? .float32 : .float64
        case H5T_INTEGER:
            let signed = H5Tget_sign(typeID) == H5T_SGN_2
            switch (size, signed) {
            case (4, true): return .int32
            case (8, true): return .int64
            case (1, false): return .uint8
            default: return nil
            }
        case H5T_STRING:
            return .string
        default:
            return nil
        }
    }
}
