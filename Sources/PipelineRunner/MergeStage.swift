import DigsCore
import Foundation
import ProductIO

/// `digs merge`: shard products (`--shard i/N` of one stage, all N of them) → the product an
/// unsharded run makes. Datasets whose first axis is `galaxy`, `row` or `rejected` are concatenated in
/// shard order, streamed by blocks; the others must be identical in every shard and are copied.
/// The merged product records the shards' common inputs and the shards themselves as inputs;
/// its content digest equals the unsharded product's when the shards were made from the same
/// inputs, settings and seed.
public enum MergeStage {
    static let provenanceAttributes: Set<String> = ["digs_product", "schema_version", "digs_version", "created", "seed",
                                                    "config", "inputs", "content_digest", "shard", "shard_rows", "total_rows"]

    public static func run(shards paths: [String], output: String, overwrite: Bool, chunk: Int = 4096,
                           log: (String) -> Void) throws {
        if FileManager.default.fileExists(atPath: output) && !overwrite { throw DigsError.alreadyExists(path: output) }
        guard !paths.isEmpty else { throw DigsError.invalidInput(field: "shards", problem: "give the shard products to merge") }
        var products = try paths.map { try Product.open($0) }
        let first = products[0]
        for p in products {
            guard p.kind == first.kind else { throw DigsError.wrongProductKind(path: p.path, found: p.kind.rawValue, expected: first.kind.rawValue) }
            guard try p.file.attribute("shard")?.stringValue != nil else {
                throw DigsError.invalidProduct(path: p.path, field: "root attribute 'shard'", problem: "is missing: not made with --shard")
            }
            guard p.provenance.config == first.provenance.config, p.provenance.seed == first.provenance.seed,
                  p.provenance.inputs.map(\.contentDigest) == first.provenance.inputs.map(\.contentDigest) else {
                throw DigsError.invalidProduct(path: p.path, field: "config/seed/inputs",
                                               problem: "differ from \(first.path): shards of different runs")
            }
        }
        let shards = try products.map { try Shard(parsing: try $0.file.attribute("shard")?.stringValue ?? "") }
        let count = shards[0].count
        guard shards.allSatisfy({ $0.count == count }), Set(shards.map(\.index)) == Set(0..<count), shards.count == count else {
            throw DigsError.invalidInput(field: "shards", problem: "need each of the \(count) shards 0/\(count) … \(count - 1)/\(count) exactly once; got \(shards.map(\.description))")
        }
        let order = shards.indices.sorted { shards[$0].index < shards[$1].index }
        products = order.map { products[$0] }
        var expected: Int64 = 0
        for p in products {
            let rows = try p.file.attribute("shard_rows")?.intsValue ?? []
            guard rows.count == 2, rows[0] == expected else {
                throw DigsError.invalidProduct(path: p.path, field: "root attribute 'shard_rows'", problem: "\(rows) does not continue at row \(expected)")
            }
            expected = rows[1]
        }
        guard expected == (try first.file.attribute("total_rows")?.intValue ?? -1) else {
            throw DigsError.invalidProduct(path: first.path, field: "root attribute 'total_rows'", problem: "the shards cover \(expected) rows")
        }

        let inputs = first.provenance.inputs + products.map { $0.asInput(role: "shard \(try! $0.file.attribute("shard")!.stringValue!)") }
        let writer = try ProductWriter(path: output, kind: first.kind, seed: first.provenance.seed, config: first.provenance.config,
                                       inputs: inputs, overwrite: overwrite)
        if first.kind == .sbcResult {
            // Calibration figures are not row-wise: recomputed from every shard's per-galaxy records.
            _ = try SBCStage.merge(products, to: writer)
            log("merged \(products.count) shards of sbc_result into \(output) (\(expected) galaxies)")
            return
        }
        for name in try first.file.attributeNames() where !provenanceAttributes.contains(name) {
            if let value = try first.file.attribute(name) { try writer.file.setAttribute(name, value) }
        }
        for path in try first.file.datasetPaths() {
            let source = try first.file.dataset(path)
            let axes = try source.attribute("axes")?.stringsValue ?? []
            let target: HDF5Dataset
            if let axis = axes.first, ["galaxy", "row", "rejected"].contains(axis) {
                if source.dtype == .string {
                    target = try writer.file.createStringDataset(path, values: try products.flatMap { try $0.file.dataset(path).readStrings() })
                } else {
                    target = try writer.file.createDataset(path, dtype: source.dtype, shape: [0] + source.shape.dropFirst(), extendable: true)
                    for p in products {
                        let part = try p.file.dataset(path)
                        var start = 0
                        while start < part.shape[0] {
                            try copyRows(part, start..<min(part.shape[0], start + chunk), to: target)
                            start += chunk
                        }
                    }
                }
            } else {
                for p in products.dropFirst() where try !identical(source, try p.file.dataset(path)) {
                    throw DigsError.invalidProduct(path: p.path, field: "dataset '\(path)'", problem: "differs from \(first.path): shards of different runs")
                }
                if source.dtype == .string {
                    target = try writer.file.createStringDataset(path, values: try source.readStrings())
                } else {
                    target = try writer.file.createDataset(path, dtype: source.dtype, shape: source.shape)
                    if source.shape.reduce(1, *) > 0 { try copyRows(source, 0..<source.shape[0], to: target, append: false) }
                }
            }
            for name in try source.attributeNames() {
                if let value = try source.attribute(name) { try target.setAttribute(name, value) }
            }
        }
        try writer.commit()
        log("merged \(products.count) shards of \(first.kind.rawValue) into \(output) (\(expected) rows)")
    }

    /// Copies rows of a numeric dataset, appending to `target` (or writing it whole).
    static func copyRows(_ source: HDF5Dataset, _ rows: Range<Int>, to target: HDF5Dataset, append: Bool = true) throws {
        func move<T: HDF5Element>(_: T.Type) throws {
            let block: NDArray<T> = try source.readRows(rows)
            if append { try target.append(block) } else { try target.write(block) }
        }
        switch source.dtype {
        case .float32: try move(Float.self)
        case .float64: try move(Double.self)
        case .int32: try move(Int32.self)
        case .int64: try move(Int64.self)
        case .uint8: try move(UInt8.self)
        case .string: throw DigsError.invalidInput(field: source.objectPath, problem: "string datasets are merged whole")
        }
    }

    /// Whether two datasets hold the same values (shape, dtype, elements).
    static func identical(_ a: HDF5Dataset, _ b: HDF5Dataset) throws -> Bool {
        guard a.dtype == b.dtype, a.shape == b.shape else { return false }
        if a.dtype == .string { return try a.readStrings() == b.readStrings() }
        return try a.read(as: Double.self).data.elementsEqual(try b.read(as: Double.self).data) { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }
}
