import DigsCore

/// An open, read-only DIGS product: its kind and schema version are checked on open, its
/// provenance is parsed, and datasets are reached by path.
public final class Product {
    public let file: HDF5File
    public let kind: ProductKind
    public let schemaVersion: SemanticVersion
    public let provenance: Provenance

    public var path: String { file.filePath }

    /// Opens a product, checking its kind (when `expecting` is given), that its schema major
    /// version is the one this build reads and, unless `verifyContent` is false, that its
    /// datasets still hash to the `content_digest` it was written with: a stage never trusts
    /// an input that was changed or damaged after it was made (one streaming pass, ~0.5 GB/s).
    public static func open(_ path: String, expecting expected: ProductKind? = nil, verifyContent: Bool = true) throws -> Product {
        let file = try HDF5File.open(path: path)
        guard let kindName = try file.attribute("digs_product")?.stringValue else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'digs_product'",
                                           problem: "is missing: this HDF5 file is not a DIGS product")
        }
        guard let kind = ProductKind(rawValue: kindName) else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'digs_product'",
                                           problem: "'\(kindName)' is not a product kind (expected one of \(ProductKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let expected, expected != kind {
            throw DigsError.wrongProductKind(path: path, found: kind.rawValue, expected: expected.rawValue)
        }
        let current = try SchemaCatalog.load().schema(for: kind).schemaVersion
        guard let versionText = try file.attribute("schema_version")?.stringValue,
              let version = SemanticVersion(versionText) else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'schema_version'",
                                           problem: "is missing or not MAJOR.MINOR.PATCH")
        }
        guard version.major == current.major else {
            throw DigsError.incompatibleSchemaVersion(path: path, found: version.description,
                                                      expected: "\(current.major).x.x")
        }
        if let problem = try parameterOrderProblem(file) {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'parameter_names'", problem: problem)
        }
        let provenance = try Provenance.read(from: file, kind: kind, version: version)
        if verifyContent {
            let found = try ContentDigest.compute(file)
            guard found == provenance.contentDigest else {
                throw DigsError.invalidProduct(path: path, field: "content_digest",
                                               problem: "the datasets hash to \(found) but the file records \(provenance.contentDigest): it was changed or damaged after it was written; make it again")
            }
        }
        return Product(file: file, kind: kind, version: version, provenance: provenance)
    }

    private init(file: HDF5File, kind: ProductKind, version: SemanticVersion, provenance: Provenance) {
        self.file = file
        self.kind = kind
        self.schemaVersion = version
        self.provenance = provenance
    }

    /// Where the root `parameter_names` and a dataset's name the same parameters in another
    /// order (a product whose names were swapped: its columns would be read as the wrong
    /// parameters), what disagrees; nil when they agree. Datasets of other quantities (derived
    /// ones) have other names and are not compared. Attributes are outside the content digest,
    /// so this is checked on every open.
    public static func parameterOrderProblem(_ file: HDF5File) throws -> String? {
        guard let root = try file.attribute("parameter_names")?.stringsValue, !root.isEmpty else { return nil }
        for path in try file.datasetPaths() {
            guard let names = try file.dataset(path).attribute("parameter_names")?.stringsValue,
                  names != root, Set(names) == Set(root) else { continue }
            return "is \(root), but dataset '\(path)' names its columns \(names): the same parameters in another order"
        }
        return nil
    }

    /// A dataset that must exist with the given dtype and rank.
    public func dataset(_ path: String, dtype: HDF5DType? = nil, rank: Int? = nil) throws -> HDF5Dataset {
        let dataset = try file.dataset(path)
        if let dtype, dataset.dtype != dtype {
            throw DigsError.invalidProduct(path: self.path, field: "dataset '\(path)'",
                                           problem: "holds \(dataset.dtype.rawValue), expected \(dtype.rawValue)")
        }
        if let rank, dataset.shape.count != rank {
            throw DigsError.invalidProduct(path: self.path, field: "dataset '\(path)'",
                                           problem: "has shape \(dataset.shape), expected rank \(rank)")
        }
        return dataset
    }

    /// The `parameter_names` of a parameter dataset (its last axis), checked against the
    /// length of that axis: a θ of 4 columns that claims 5 parameters is refused here, before
    /// any stage indexes it.
    public func parameterNames(of dataset: HDF5Dataset) throws -> [String] {
        guard let names = try dataset.attribute("parameter_names")?.stringsValue, !names.isEmpty else {
            throw DigsError.invalidProduct(path: path, field: "dataset '\(dataset.objectPath)' attribute 'parameter_names'",
                                           problem: "is missing or empty")
        }
        guard let columns = dataset.shape.last, columns == names.count else {
            throw DigsError.invalidProduct(path: path, field: "dataset '\(dataset.objectPath)'",
                                           problem: "has shape \(dataset.shape) but lists \(names.count) parameters \(names)")
        }
        return names
    }

    /// This product as an input record for a downstream product's provenance.
    public func asInput(role: String) -> ProductInput {
        ProductInput(role: role, path: path, contentDigest: provenance.contentDigest)
    }
}
