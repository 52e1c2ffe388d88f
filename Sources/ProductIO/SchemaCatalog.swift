import DigsCore
import Foundation

/// The product schemas shipped with DIGS: `schemas/*.json`, embedded in the binary at build
/// time (SwiftPM `embedInCode`), so `digs` needs no resource files beside it.
public struct SchemaCatalog: Sendable {
    public let common: CommonSchema
    public let schemas: [String: ProductSchema]

    /// The embedded schema texts by file name.
    static let embedded: [String: [UInt8]] = [
        "common": PackageResources.common_json,
        ProductKind.sspLibrary.rawValue: PackageResources.ssp_library_json,
        ProductKind.thetaGrid.rawValue: PackageResources.theta_grid_json,
        ProductKind.sedSet.rawValue: PackageResources.sed_set_json,
        ProductKind.augmentedBatches.rawValue: PackageResources.augmented_batches_json,
        ProductKind.flowModel.rawValue: PackageResources.flow_model_json,
        ProductKind.posteriorSamples.rawValue: PackageResources.posterior_samples_json,
        ProductKind.sbcResult.rawValue: PackageResources.sbc_result_json,
        ProductKind.mcmcChains.rawValue: PackageResources.mcmc_chains_json,
        ProductKind.observationSet.rawValue: PackageResources.observation_set_json,
    ]

    private static let bundled: Result<SchemaCatalog, DigsError> = Result {
        try SchemaCatalog(texts: embedded)
    }.mapError { $0 as? DigsError ?? .unreadableFile(path: "schemas", reason: String(describing: $0)) }

    /// The schemas built into this binary, or the error that prevented decoding them.
    public static func load() throws -> SchemaCatalog { try bundled.get() }

    /// Decodes `common` and one schema per product kind from their JSON texts by name.
    public init(texts: [String: [UInt8]]) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
            guard let bytes = texts[name] else { throw DigsError.fileNotFound(path: "schemas/\(name).json") }
            do {
                return try decoder.decode(T.self, from: Data(bytes))
            } catch {
                throw DigsError.unreadableFile(path: "schemas/\(name).json", reason: "invalid schema: \(error)")
            }
        }
        common = try decode(CommonSchema.self, "common")
        var schemas: [String: ProductSchema] = [:]
        for kind in ProductKind.allCases {
            let schema = try decode(ProductSchema.self, kind.rawValue)
            guard schema.kind == kind.rawValue else {
                throw DigsError.invalidProduct(path: "schemas/\(kind.rawValue).json", field: "kind",
                                               problem: "is '\(schema.kind)', expected '\(kind.rawValue)'")
            }
            schemas[kind.rawValue] = schema
        }
        self.schemas = schemas
    }

    /// The schema of one product kind.
    public func schema(for kind: ProductKind) -> ProductSchema {
        schemas[kind.rawValue]!  // init decodes one schema for every kind or throws
    }
}
