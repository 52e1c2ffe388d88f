import DigsCore
import ForwardModel
import ProductIO

/// Reading, writing and checking the `forward_model_version` root attribute of products
/// (`ForwardModelVersion`).
enum ForwardModelVersionRecord {
    static let attribute = "forward_model_version"

    /// The version a product records; `ForwardModelVersion.unrecorded` when it has none.
    static func read(_ product: Product) throws -> Int64 {
        guard let value = try product.file.attribute(attribute) else { return ForwardModelVersion.unrecorded }
        guard let version = value.intValue else {
            throw DigsError.invalidProduct(path: product.path, field: "root attribute '\(attribute)'", problem: "is not an integer")
        }
        return version
    }

    static func write(_ version: Int64, to writer: ProductWriter) throws {
        try writer.file.setAttribute(attribute, .int(version))
    }

    /// Refuses to combine `product` (made with model `found`) with something made with model
    /// `expected`, named by `other`.
    static func require(_ product: Product, matches expected: Int64, of other: String) throws {
        let found = try read(product)
        guard found == expected else {
            throw DigsError.invalidProduct(
                path: product.path, field: "root attribute '\(attribute)'",
                problem: "is \(found) (\(ForwardModelVersion.history[found] ?? "unknown")), but \(other) uses forward model \(expected) (\(ForwardModelVersion.history[expected] ?? "unknown")); remake it with this model (e.g. `digs run --force` from simulate)")
        }
    }
}
