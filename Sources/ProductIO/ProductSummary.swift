import DigsCore

/// A readable, plain-text summary of a product: kind, version, provenance and every dataset
/// with its shape, dtype, units and description (what `digs inspect` prints).
public enum ProductSummary {
    public static func text(for path: String) throws -> String {
        let product = try Product.open(path, verifyContent: false)  // a summary, not a check: see `digs validate`
        let p = product.provenance
        var lines: [String] = []
        lines.append("\(path)")
        lines.append("  kind            \(p.kind.rawValue) (schema \(p.schemaVersion))")
        lines.append("  written by      DIGS \(p.digsVersion) at \(p.created)")
        lines.append("  seed            \(p.seed)")
        lines.append("  content digest  \(p.contentDigest)")
        if p.inputs.isEmpty {
            lines.append("  inputs          none")
        } else {
            lines.append("  inputs")
            for input in p.inputs {
                lines.append("    \(input.role): \(input.path) (\(input.contentDigest.prefix(19))…)")
            }
        }
        let standard: Set<String> = ["digs_product", "schema_version", "digs_version", "created", "seed",
                                     "config", "inputs", "content_digest"]
        let extra = try product.file.attributeNames().filter { !standard.contains($0) }
        if !extra.isEmpty {
            lines.append("  attributes")
            for name in extra {
                let value = try product.file.attribute(name)?.description ?? ""
                lines.append("    \(name) = \(abbreviate(value))")
            }
        }
        lines.append("  datasets")
        for name in try product.file.datasetPaths() {
            let d = try product.file.dataset(name)
            let axes = try d.attribute("axes")?.stringsValue
            let shape = zip(d.shape, axes ?? d.shape.map { _ in "" })
                .map { $1.isEmpty ? "\($0)" : "\($1)=\($0)" }.joined(separator: ", ")
            let units = try d.attribute("units").map { abbreviate($0.description) } ?? "?"
            let description = try d.attribute("description")?.stringValue ?? ""
            lines.append("    \(name)  [\(shape)] \(d.dtype.rawValue)  units: \(units.isEmpty ? "dimensionless" : units)")
            if !description.isEmpty { lines.append("      \(description)") }
        }
        let config = p.config.split(separator: "\n", omittingEmptySubsequences: false)
        lines.append("  config")
        lines.append(contentsOf: config.prefix(40).map { "    " + $0 })
        if config.count > 40 { lines.append("    … (\(config.count - 40) more lines)") }
        return lines.joined(separator: "\n")
    }

    private static func abbreviate(_ text: String) -> String {
        text.count > 100 ? String(text.prefix(97)) + "…" : text
    }
}
