import DigsCore
import Foundation

/// Writes one product: a temporary file beside the target, renamed onto the target only by
/// `commit()`, so an interrupted or failed stage never leaves a product that looks valid and
/// never damages an existing one.
///
/// Datasets are created through the writer so each carries `units`, `description` and its
/// axis names (`axes`); `commit()` adds the provenance root attributes with the content digest.
public final class ProductWriter {
    public let kind: ProductKind
    /// Where the product will be once committed.
    public let targetPath: String
    /// The temporary file being written.
    public let temporaryPath: String
    /// The open temporary file; stages may add groups and attributes directly.
    public let file: HDF5File
    private let seed: UInt64
    private let config: String
    private let inputs: [ProductInput]
    private let schemaVersion: SemanticVersion
    private var finished = false

    /// Starts a product.
    /// - Parameters:
    ///   - path: the target path.
    ///   - overwrite: replace an existing file at `path` on commit; otherwise refuse now.
    public init(path: String, kind: ProductKind, seed: UInt64, config: String,
                inputs: [ProductInput] = [], overwrite: Bool = false) throws {
        let target = URL(fileURLWithPath: path)
        try requireNotAnInput(output: path, inputs: inputs.map(\.path))
        if FileManager.default.fileExists(atPath: target.path) && !overwrite {
            throw DigsError.alreadyExists(path: path)
        }
        let directory = target.deletingLastPathComponent()
        try createFolder(directory.path)
        guard FileManager.default.isWritableFile(atPath: directory.path) else {
            throw DigsError.unwritableFile(path: directory.path, reason: "the output folder is not writable (\(String(cString: strerror(EACCES))))")
        }
        Self.removeStalePartials(of: target)
        self.kind = kind
        self.targetPath = target.path
        self.temporaryPath = AtomicWrite.temporaryPath(for: target.path)
        self.seed = seed
        self.config = config
        self.inputs = inputs
        self.schemaVersion = try SchemaCatalog.load().schema(for: kind).schemaVersion
        self.file = try HDF5File.create(path: temporaryPath)
    }

    deinit {
        if !finished { abandon() }
    }

    /// Removes the temporary files that killed or crashed writers of the same target left
    /// (`.<name>.partial-<pid>-<random>` whose process no longer exists), and says so on
    /// standard error. Partials of a writer still running are left alone.
    static func removeStalePartials(of target: URL) {
        let directory = target.deletingLastPathComponent()
        let prefix = ".\(target.lastPathComponent).partial-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }),
                  pid != ProcessInfo.processInfo.processIdentifier, kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = directory.appendingPathComponent(name).path
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if (try? FileManager.default.removeItem(atPath: path)) != nil {
                FileHandle.standardError.write(Data("removed \(path) (\(size / 1_000_000) MB), left by an interrupted run of process \(pid)\n".utf8))
            }
        }
    }

    /// Creates a numeric dataset with its `units`, `description` and `axes` attributes.
    @discardableResult
    public func createDataset(_ path: String, dtype: HDF5DType, shape: [Int], axes: [String],
                              units: String, description: String, extendable: Bool = false,
                              chunkRows: Int? = nil) throws -> HDF5Dataset {
        try checkAxes(path, shape: shape, axes: axes)
        let dataset = try file.createDataset(path, dtype: dtype, shape: shape, extendable: extendable, chunkRows: chunkRows)
        try label(dataset, axes: axes, units: .string(units), description: description)
        return dataset
    }

    /// Writes a whole array as a new dataset (see `createDataset`).
    @discardableResult
    public func write<T: HDF5Element>(_ path: String, _ array: NDArray<T>, axes: [String], units: String,
                                      description: String) throws -> HDF5Dataset {
        let dataset = try createDataset(path, dtype: T.dtype, shape: array.shape, axes: axes, units: units,
                                        description: description)
        try dataset.write(array)
        return dataset
    }

    /// Creates a dataset whose last axis holds parameters with their own units (`units` is
    /// then a list with one entry per parameter, and `parameter_names` is set).
    @discardableResult
    public func createParameterDataset(_ path: String, dtype: HDF5DType, shape: [Int], axes: [String],
                                       parameterNames: [String], parameterUnits: [String], description: String,
                                       extendable: Bool = false) throws -> HDF5Dataset {
        guard shape.last == parameterNames.count, parameterNames.count == parameterUnits.count else {
            throw DigsError.invalidInput(field: "dataset '\(path)'",
                                         problem: "last axis \(shape.last ?? 0) must match \(parameterNames.count) parameter names and \(parameterUnits.count) units")
        }
        try checkAxes(path, shape: shape, axes: axes)
        let dataset = try file.createDataset(path, dtype: dtype, shape: shape, extendable: extendable)
        try label(dataset, axes: axes, units: .strings(parameterUnits), description: description)
        try dataset.setAttribute("parameter_names", .strings(parameterNames))
        return dataset
    }

    /// Writes a whole parameter array as a new dataset (see `createParameterDataset`).
    @discardableResult
    public func writeParameterArray<T: HDF5Element>(_ path: String, _ array: NDArray<T>, axes: [String],
                                                    parameterNames: [String], parameterUnits: [String],
                                                    description: String) throws -> HDF5Dataset {
        let dataset = try createParameterDataset(path, dtype: T.dtype, shape: array.shape, axes: axes,
                                                 parameterNames: parameterNames, parameterUnits: parameterUnits,
                                                 description: description)
        try dataset.write(array)
        return dataset
    }

    /// Writes a 1-D string dataset (ids, names); `extendable`: more may be appended
    /// (`HDF5Dataset.appendStrings`).
    @discardableResult
    public func writeStrings(_ path: String, _ values: [String], axis: String, description: String,
                             extendable: Bool = false) throws -> HDF5Dataset {
        let dataset = try file.createStringDataset(path, values: values, extendable: extendable)
        try label(dataset, axes: [axis], units: .string(""), description: description)
        return dataset
    }

    /// Computes the content digest, writes the provenance, closes and renames onto the target.
    public func commit() throws {
        guard !finished else { return }
        do {
            let provenance = Provenance(kind: kind, schemaVersion: schemaVersion, digsVersion: digsVersion,
                                        created: Provenance.now(), seed: seed, config: config, inputs: inputs,
                                        contentDigest: try ContentDigest.compute(file))
            try provenance.write(to: file)
            try file.close()
            // rename(2) replaces an existing target atomically: readers see the old or the new file.
            try AtomicWrite.moveIntoPlace(temporaryPath, to: targetPath)
            finished = true
        } catch {
            abandon()
            throw error
        }
    }

    /// Closes and deletes the temporary file; the target is untouched.
    public func abandon() {
        finished = true
        try? file.close()
        try? FileManager.default.removeItem(atPath: temporaryPath)
    }

    private func checkAxes(_ path: String, shape: [Int], axes: [String]) throws {
        guard shape.count == axes.count else {
            throw DigsError.invalidInput(field: "dataset '\(path)'",
                                         problem: "\(axes.count) axis names \(axes) for a rank-\(shape.count) array")
        }
    }

    private func label(_ dataset: HDF5Dataset, axes: [String], units: AttributeValue, description: String) throws {
        try dataset.setAttribute("units", units)
        try dataset.setAttribute("description", .string(description))
        try dataset.setAttribute("axes", .strings(axes))
    }
}
