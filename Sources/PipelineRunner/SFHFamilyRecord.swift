import DigsCore
import ForwardModel
import ProductIO

/// Reading, writing and checking the `sfh_family` root attribute: the star-formation-history
/// family (`model.sfh`) of the model a product's spectra, flow or chains were made with. A
/// product of one family is never combined with a pipeline or product of another, as
/// `ForwardModelVersionRecord` does for the forward model's version.
enum SFHFamilyRecord {
    static let attribute = "sfh_family"
    /// The family of products written before families were recorded.
    static let unrecorded = DelayedTauHistory.familyName

    /// The family a product records; `unrecorded` when it has none.
    static func read(_ product: Product) throws -> String {
        guard let value = try product.file.attribute(attribute) else { return unrecorded }
        guard let name = value.stringValue else {
            throw DigsError.invalidProduct(path: product.path, field: "root attribute '\(attribute)'", problem: "is not a string")
        }
        return name
    }

    static func write(_ name: String, to writer: ProductWriter) throws {
        try writer.file.setAttribute(attribute, .string(name))
    }

    /// The name of a model's family.
    static func name(of model: ModelSettings) -> String { type(of: model.history).familyName }

    /// Refuses `product` unless it was made with the family `expected`, which `other` uses.
    static func require(_ product: Product, matches expected: String, of other: String) throws {
        let found = try read(product)
        guard found == expected else {
            throw DigsError.invalidProduct(
                path: product.path, field: "root attribute '\(attribute)'",
                problem: "is '\(found)', but \(other) uses the '\(expected)' star-formation history (model.sfh); make it with a pipeline of that family, or use a pipeline file with model.sfh: \(found)")
        }
    }
}
