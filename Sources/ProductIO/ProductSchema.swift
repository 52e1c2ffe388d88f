/// The machine-readable description of one product kind, decoded from `schemas/<kind>.json`.
///
/// A schema lists the product's named axes, its root attributes beyond the common
/// provenance set (`schemas/common.json`), and its datasets with dtype, axes, units and
/// required attributes. `SchemaValidator` checks files against it.
public struct ProductSchema: Codable, Sendable {
    public let kind: String
    public let schemaVersion: SemanticVersion
    public let description: String
    /// Named axes shared by datasets; a name means the same extent everywhere in a file.
    public let axes: [String: AxisSpec]
    /// Root attributes this kind requires in addition to the common provenance attributes.
    public let rootAttributes: [String: AttributeSpec]
    /// Datasets by path inside the file.
    public let datasets: [String: DatasetSpec]

    public struct AxisSpec: Codable, Sendable {
        public let description: String
        /// A fixed extent, when the axis has one (e.g. 3 percentiles).
        public let size: Int?
    }

    public struct AttributeSpec: Codable, Sendable {
        /// One of: string, strings, int, ints, double, doubles, number, numbers.
        public let type: String
        public let description: String
        public let required: Bool?

        public var isRequired: Bool { required ?? true }
    }

    public struct DatasetSpec: Codable, Sendable {
        /// Accepted element types (usually one).
        public let dtype: [HDF5DType]
        /// Axis names, outermost first; the dataset's rank is their count.
        public let axes: [String]
        /// Axis labels that files of earlier minor versions carry and that stay valid.
        public let legacyAxes: [[String]]?
        /// The exact `units` attribute required, when fixed ("" for dimensionless).
        public let units: String?
        /// When set, `units` must be a list of strings, one per element of this axis.
        public let unitsPerAxis: String?
        public let description: String
        public let required: Bool?
        /// Attributes this dataset must carry besides `units` and `description`.
        public let attributes: [String: AttributeSpec]?

        public var isRequired: Bool { required ?? true }
    }
}

/// The root attributes every product carries (`products/README.md`), decoded from `schemas/common.json`.
public struct CommonSchema: Codable, Sendable {
    public let rootAttributes: [String: ProductSchema.AttributeSpec]
}
