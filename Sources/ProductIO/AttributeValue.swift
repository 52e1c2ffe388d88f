/// The value of an HDF5 attribute as DIGS stores it: UTF-8 strings, 64-bit integers or
/// 64-bit floats, each as a scalar or a 1-D array.
public enum AttributeValue: Equatable, Sendable, CustomStringConvertible {
    case string(String)
    case strings([String])
    case int(Int64)
    case ints([Int64])
    case double(Double)
    case doubles([Double])

    /// The value as a single string, when it is one.
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        if case let .strings(a) = self, a.count == 1 { return a[0] }
        return nil
    }

    /// The value as a list of strings, when it is a string or a list of strings.
    public var stringsValue: [String]? {
        switch self {
        case let .string(s): return [s]
        case let .strings(a): return a
        default: return nil
        }
    }

    /// The value as a list of doubles, when it is numeric.
    public var doublesValue: [Double]? {
        switch self {
        case let .double(d): return [d]
        case let .doubles(a): return a
        case let .int(i): return [Double(i)]
        case let .ints(a): return a.map(Double.init)
        default: return nil
        }
    }

    /// The value as one integer, when it is an integer scalar.
    public var intValue: Int64? {
        switch self {
        case let .int(i): return i
        case let .ints(a) where a.count == 1: return a[0]
        default: return nil
        }
    }

    /// The value as a list of integers, when it is integer.
    public var intsValue: [Int64]? {
        switch self {
        case let .int(i): return [i]
        case let .ints(a): return a
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case let .string(s): return s
        case let .strings(a): return "[" + a.joined(separator: ", ") + "]"
        case let .int(i): return String(i)
        case let .ints(a): return "[" + a.map(String.init).joined(separator: ", ") + "]"
        case let .double(d): return String(d)
        case let .doubles(a): return "[" + a.map { String($0) }.joined(separator: ", ") + "]"
        }
    }
}
