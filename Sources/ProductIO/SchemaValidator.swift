import DigsCore

/// Checks product files against their schemas and lists every violation found.
public struct SchemaValidator {
    public let catalog: SchemaCatalog

    public init(catalog: SchemaCatalog) { self.catalog = catalog }

    /// The outcome of validating one file.
    public struct Report: Sendable {
        public let path: String
        /// The product kind, when the file says which it is.
        public let kind: String?
        /// Each violation as "field: problem"; empty when the file is valid.
        public var violations: [String]
        public var isValid: Bool { violations.isEmpty }
    }

    /// Validates one file. Never throws: unreadable files are reported as violations.
    /// - Parameter verifyDigest: recompute `content_digest` from the datasets (reads them all).
    public func validate(path: String, verifyDigest: Bool = true) -> Report {
        let file: HDF5File
        do {
            file = try HDF5File.open(path: path)
        } catch {
            return Report(path: path, kind: nil, violations: [String(describing: error)])
        }
        var problems: [String] = []
        func attr(_ object: HDF5Object, _ name: String) -> AttributeValue? {
            do { return try object.attribute(name) } catch {
                problems.append("\(name): \(error)")
                return nil
            }
        }
        check(attributes: catalog.common.rootAttributes, on: file, prefix: "root attribute", &problems)
        guard let kindName = attr(file, "digs_product")?.stringValue else {
            return Report(path: path, kind: nil, violations: problems)
        }
        guard let kind = ProductKind(rawValue: kindName) else {
            problems.append("root attribute 'digs_product': '\(kindName)' is not a known product kind")
            return Report(path: path, kind: kindName, violations: problems)
        }
        let schema = catalog.schema(for: kind)
        if let text = attr(file, "schema_version")?.stringValue {
            if let version = SemanticVersion(text) {
                if version.major != schema.schemaVersion.major {
                    problems.append("root attribute 'schema_version': \(text) has another major version than the schema (\(schema.schemaVersion))")
                }
            } else {
                problems.append("root attribute 'schema_version': '\(text)' is not MAJOR.MINOR.PATCH")
            }
        }
        check(attributes: schema.rootAttributes, on: file, prefix: "root attribute", &problems)
        checkDatasets(schema, file, &problems)
        do {
            if let problem = try Product.parameterOrderProblem(file) { problems.append("root attribute 'parameter_names': \(problem)") }
        } catch {
            problems.append("parameter_names: \(error)")
        }
        if problems.isEmpty {
            do { problems += try SemanticChecks.problems(file, kind: kind) } catch { problems.append("values: \(error)") }
        }
        if verifyDigest, problems.isEmpty, let recorded = attr(file, "content_digest")?.stringValue {
            do {
                let actual = try ContentDigest.compute(file)
                if actual != recorded {
                    problems.append("root attribute 'content_digest': recorded \(recorded) but the datasets digest to \(actual) (modified or damaged)")
                }
            } catch {
                problems.append("content digest: \(error)")
            }
        }
        return Report(path: path, kind: kindName, violations: problems)
    }

    private func checkDatasets(_ schema: ProductSchema, _ file: HDF5File, _ problems: inout [String]) {
        var axisSizes: [String: (size: Int, from: String)] = [:]
        for (name, spec) in schema.datasets.sorted(by: { $0.key < $1.key }) {
            let field = "dataset '\(name)'"
            guard file.exists(name) else {
                if spec.isRequired { problems.append("\(field): is missing") }
                continue
            }
            let dataset: HDF5Dataset
            do { dataset = try file.dataset(name) } catch {
                problems.append("\(field): \(error)")
                continue
            }
            if !spec.dtype.contains(dataset.dtype) {
                problems.append("\(field): holds \(dataset.dtype.rawValue), expected \(spec.dtype.map(\.rawValue).joined(separator: " or "))")
            }
            let shape = dataset.shape
            guard shape.count == spec.axes.count else {
                problems.append("\(field): has shape \(shape) (rank \(shape.count)), expected rank \(spec.axes.count) with axes \(spec.axes)")
                continue
            }
            for (axis, size) in zip(spec.axes, shape) {
                if let fixed = schema.axes[axis]?.size, fixed != size {
                    problems.append("\(field): axis '\(axis)' has extent \(size), expected \(fixed)")
                }
                if let seen = axisSizes[axis], seen.size != size {
                    problems.append("\(field): axis '\(axis)' has extent \(size), but \(seen.from) has \(seen.size)")
                } else if axisSizes[axis] == nil {
                    axisSizes[axis] = (size, field)
                }
            }
            let units = try? dataset.attribute("units")
            if let fixed = spec.units {
                if units?.stringValue != fixed {
                    problems.append("\(field): attribute 'units' is \(units?.description.debugDescription ?? "missing"), expected \"\(fixed)\"")
                }
            } else if let perAxis = spec.unitsPerAxis, let index = spec.axes.firstIndex(of: perAxis) {
                if units?.stringsValue?.count != shape[index] {
                    problems.append("\(field): attribute 'units' must list \(shape[index]) units, one per '\(perAxis)'")
                }
            } else if units == nil {
                problems.append("\(field): attribute 'units' is missing")
            }
            if (try? dataset.attribute("description"))?.stringValue == nil {
                problems.append("\(field): attribute 'description' is missing")
            }
            if let axes = (try? dataset.attribute("axes"))?.stringsValue, axes != spec.axes, !(spec.legacyAxes ?? []).contains(axes) {
                problems.append("\(field): attribute 'axes' is \(axes), expected \(spec.axes)")
            }
            check(attributes: spec.attributes ?? [:], on: dataset, prefix: "\(field) attribute", &problems)
        }
    }

    private func check(attributes specs: [String: ProductSchema.AttributeSpec], on object: HDF5Object,
                       prefix: String, _ problems: inout [String]) {
        for (name, spec) in specs.sorted(by: { $0.key < $1.key }) {
            let value: AttributeValue?
            do { value = try object.attribute(name) } catch {
                problems.append("\(prefix) '\(name)': \(error)")
                continue
            }
            guard let value else {
                if spec.isRequired { problems.append("\(prefix) '\(name)': is missing (\(spec.description))") }
                continue
            }
            if !Self.matches(value, type: spec.type) {
                problems.append("\(prefix) '\(name)': expected \(spec.type), found \(value.description.prefix(60))")
            }
        }
    }

    static func matches(_ value: AttributeValue, type: String) -> Bool {
        switch (type, value) {
        case ("string", .string): return true
        case ("strings", .strings), ("strings", .string): return true
        case ("int", .int): return true
        case ("ints", .ints), ("ints", .int): return true
        case ("double", .double), ("number", .double), ("number", .int): return true
        case ("doubles", .doubles), ("doubles", .double), ("numbers", .doubles), ("numbers", .ints),
             ("numbers", .double), ("numbers", .int): return true
        default: return false
        }
    }
}
