/// A dense N-dimensional array in row-major (C) order.
///
/// The storage is a flat Swift array; `shape` gives the extent of each axis. This is the
/// currency between the domain modules and the product I/O layer, which take arrays, not
/// domain types.
public struct NDArray<Element>: Sendable where Element: Sendable {
    /// The extent of each axis, outermost first.
    public let shape: [Int]
    /// The elements in row-major order; `data.count == shape.reduce(1, *)`.
    public var data: [Element]

    /// Creates an array from its shape and row-major elements.
    /// - Throws: `DigsError.invalidInput` when the element count does not match the shape.
    public init(shape: [Int], data: [Element]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw DigsError.invalidInput(field: "shape", problem: "negative extent in \(shape)")
        }
        let count = shape.reduce(1, *)
        guard count == data.count else {
            throw DigsError.invalidInput(
                field: "shape",
                problem: "shape \(shape) holds \(count) elements but \(data.count) were given")
        }
        self.shape = shape
        self.data = data
    }

    /// Creates an array of the given shape filled with one value.
    public init(repeating value: Element, shape: [Int]) {
        self.shape = shape
        self.data = Array(repeating: value, count: shape.reduce(1, *))
    }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// The number of elements.
    public var count: Int { data.count }

    /// The number of elements in one step of the outermost axis (one "row").
    public var rowStride: Int { shape.dropFirst().reduce(1, *) }

    /// The elements of row `i` of the outermost axis.
    public func row(_ i: Int) -> ArraySlice<Element> {
        let s = rowStride
        return data[(i * s)..<((i + 1) * s)]
    }
}

extension NDArray: Equatable where Element: Equatable {}
