import CHDF5
import DigsCore

/// Turns failing libhdf5 calls into thrown `DigsError.library` values.
///
/// HDF5 prints its error stack to stderr by default; `silenceHDF5ErrorStack()` turns that
/// off once per process, and `check` collects the stack's messages into the error instead.
enum HDF5 {
    /// Silences libhdf5's automatic stderr error printing (idempotent, cheap).
    static func silenceErrorStack() {
        _ = H5Eset_auto2(digs_h5e_default(), nil, nil)
    }

    /// The messages on the current HDF5 error stack, innermost last, then clears the stack.
    static func drainErrorStack() -> String {
        final class Box { var messages: [String] = [] }
        let box = Box()
        let unmanaged = Unmanaged.passUnretained(box)
        _ = H5Ewalk2(digs_h5e_default(), H5E_WALK_UPWARD, { _, desc, data in
            guard let desc, let data else { return 0 }
            let box = Unmanaged<Box>.fromOpaque(data).takeUnretainedValue()
            if let text = desc.pointee.desc {
                box.messages.append(String(cString: text))
            }
            return 0
        }, unmanaged.toOpaque())
        _ = H5Eclear2(digs_h5e_default())
        // Upward walk lists the innermost (most specific) cause first.
        var seen = Set<String>()
        let unique = box.messages.filter { seen.insert($0).inserted }
        return unique.isEmpty ? "unknown HDF5 error" : unique.joined(separator: "; ")
    }

    /// Throws when `status` is negative (the HDF5 convention for failure).
    @discardableResult
    static func check<T: BinaryInteger>(_ status: T, path: String, _ operation: @autoclosure () -> String) throws -> T {
        if status < 0 {
            throw DigsError.library(name: "HDF5", path: path, operation: operation(), message: drainErrorStack())
        }
        return status
    }
}
