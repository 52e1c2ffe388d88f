import DigsCore
import Foundation

/// The version of DIGS written into every product (`digs_version`).
public let digsVersion = "0.1.0"

/// One input product a stage read, as recorded in the `inputs` root attribute.
public struct ProductInput: Codable, Equatable, Sendable {
    /// What the input was used as (e.g. "theta", "ssp_library").
    public let role: String
    /// The path as given to the stage.
    public let path: String
    /// The input's own `content_digest` ("sha256:…").
    public let contentDigest: String

    public init(role: String, path: String, contentDigest: String) {
        self.role = role
        self.path = path
        self.contentDigest = contentDigest
    }

    enum CodingKeys: String, CodingKey {
        case role, path
        case contentDigest = "content_digest"
    }
}

/// The provenance root attributes of a product (`products/README.md`).
public struct Provenance: Equatable, Sendable {
    public let kind: ProductKind
    public let schemaVersion: SemanticVersion
    public let digsVersion: String
    /// ISO 8601 UTC creation time.
    public let created: String
    /// The run seed (0 for stages that draw nothing random).
    public let seed: UInt64
    /// The stage's resolved configuration (JSON or YAML text).
    public let config: String
    public let inputs: [ProductInput]
    /// "sha256:…" over every dataset (see `ContentDigest`).
    public let contentDigest: String

    /// Reads the provenance attributes of an open product file.
    static func read(from file: HDF5File, kind: ProductKind, version: SemanticVersion) throws -> Provenance {
        func string(_ name: String) throws -> String {
            guard let value = try file.attribute(name)?.stringValue else {
                throw DigsError.invalidProduct(path: file.filePath, field: "root attribute '\(name)'",
                                               problem: "is missing or not a string")
            }
            return value
        }
        guard let seed = try file.attribute("seed")?.intValue else {
            throw DigsError.invalidProduct(path: file.filePath, field: "root attribute 'seed'",
                                           problem: "is missing or not an integer")
        }
        let inputsText = try string("inputs")
        let inputs: [ProductInput]
        do {
            inputs = try JSONDecoder().decode([ProductInput].self, from: Data(inputsText.utf8))
        } catch {
            throw DigsError.invalidProduct(path: file.filePath, field: "root attribute 'inputs'",
                                           problem: "is not a JSON list of {role, path, content_digest}")
        }
        return Provenance(kind: kind, schemaVersion: version, digsVersion: try string("digs_version"),
                          created: try string("created"), seed: UInt64(bitPattern: seed),
                          config: try string("config"), inputs: inputs,
                          contentDigest: try string("content_digest"))
    }

    /// Writes the provenance attributes to the file's root.
    func write(to file: HDF5File) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let inputsText = String(decoding: try encoder.encode(inputs), as: UTF8.self)
        try file.setAttribute("digs_product", .string(kind.rawValue))
        try file.setAttribute("schema_version", .string(schemaVersion.description))
        try file.setAttribute("digs_version", .string(digsVersion))
        try file.setAttribute("created", .string(created))
        try file.setAttribute("seed", .int(Int64(bitPattern: seed)))
        try file.setAttribute("config", .string(config))
        try file.setAttribute("inputs", .string(inputsText))
        try file.setAttribute("content_digest", .string(contentDigest))
    }

    /// The current time as ISO 8601 UTC with seconds, e.g. "2026-11-28T21:30:00Z".
    public static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
