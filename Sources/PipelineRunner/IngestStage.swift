import DigsCore
import FITSIO
import Foundation
import ProductIO
import SpectralSynthesis
import SpectrumIngest

/// `digs ingest`: observed spectra (SDSS/BOSS spec files, DESI coadd files, generic tables) →
/// `observation_set` on the pipeline's rest-frame grid, via `RestFrameConversion` (vacuum → air,
/// optional Milky-Way extinction, rest frame, L_λ with the luminosity distance, flux-conserving
/// resampling with the inverse variance propagated, masks).
///
/// The objects come from an object table (`ObjectTable`: one row per object, with its own
/// redshift, distance and E(B−V) when known) or from files on the command line (a DESI file
/// gives all its targets). Objects are converted one at a time and written in blocks, so memory
/// stays flat in their number (bounded by the largest file). Each file is read once: it is
/// memory-mapped, its bytes hashed (SHA-256, recorded per row) and parsed in place; consecutive rows of one DESI
/// file share one reading. An object that cannot be used is recorded under `rejected/` with
/// the reason (table rows always; command-line files with `skipBad`), and the rest continue.
public enum IngestStage {
    public struct Options: Sendable {
        public var settings: IngestSettings
        /// Redshift of every object, overriding the files' (command line `--redshift`).
        public var redshift: Double?
        /// Files on the command line: record and skip the unusable ones instead of stopping.
        /// Object-table rows are always recorded and skipped.
        public var skipBad: Bool
        public var shard: Shard
        /// Worker threads for the conversions (files are read by one).
        public var threads: Int

        public init(settings: IngestSettings, redshift: Double? = nil, skipBad: Bool = false, shard: Shard = .whole, threads: Int = 1) {
            (self.settings, self.redshift, self.skipBad, self.shard, self.threads) = (settings, redshift, skipBad, shard, threads)
        }
    }

    /// What to ingest.
    public enum Objects: Sendable {
        /// One row per object (an `ObjectTable` file, checked whole first, then read row by row).
        case table(path: String)
        /// Spectrum files; a DESI file gives every target it holds.
        case files([String])
    }

    /// Observations are written in blocks of this many rows.
    static let block = 256

    public static func run(objects: Objects, options: Options, instrument: InstrumentSettings, output: String,
                           overwrite: Bool, log: (String) -> Void) throws {
        if FileManager.default.fileExists(atPath: output) && !overwrite { throw DigsError.alreadyExists(path: output) }
        try options.settings.validate()
        // The shard's rows, one at a time: an object table is checked whole, then read again
        // row by row, so no row stays in memory.
        let total: Int, fromTable: Bool, inputs: [ProductInput]
        let forEachRow: ((ObjectTable.Row) throws -> Void) throws -> Void
        switch objects {
        case let .table(path):
            total = try ObjectTable.scan(path: path) { _ in }
            fromTable = true
            inputs = [ProductInput(role: "object_table", path: path, contentDigest: "sha256:" + (try FileDigest.sha256(path: path)))]
            forEachRow = { body in try ObjectTable.scan(path: path, keep: { options.shard.rows(of: $0) }, body) }
        case let .files(files):
            guard !files.isEmpty else { throw DigsError.invalidInput(field: "FILES", problem: "no spectrum files given (or give an object table with --table)") }
            (total, fromTable, inputs) = (files.count, false, [])
            try requireNotAnInput(output: output, inputs: files)
            forEachRow = { body in
                for k in options.shard.rows(of: files.count) {
                    try body(ObjectTable.Row(index: k, location: "file \(k + 1)", file: files[k]))
                }
            }
        }
        let selected = options.shard.rows(of: total)
        let p = instrument.pixels, edges = instrument.pixelEdges
        let writer = try ProductWriter(path: output, kind: .observationSet, seed: 0,
                                       config: PipelineConfig.json(RecordedSettings(settings: options.settings, redshift: options.redshift)),
                                       inputs: inputs, overwrite: overwrite)
        try options.shard.record(in: writer, rows: selected, total: total)
        try writer.write("wavelength", NDArray(shape: [p], data: instrument.pixelCentres), axes: ["pixel"], units: "Angstrom",
                         description: "rest-frame pixel wavelengths (air)")
        var out = try Output(writer: writer, pixels: p, cosmology: options.settings.cosmology)
        let reader = SpectrumReader(options: options)
        var rejected = [(row: Int, id: String, path: String, reason: String)]()
        func reject(_ row: ObjectTable.Row, id: String, _ error: DigsError) {
            log("skipped \(row.location) (\(row.file)): \(error)")
            rejected.append((row.index, id, row.file, "\(error)"))
        }
        // Files are read in order (one at a time, each once); the conversions of a block of
        // spectra run on `threads` workers and are written in order.
        var block = [(object: SpectrumReader.Object, row: ObjectTable.Row)]()
        func convertBlock() throws {
            let results = RestFrameConversion.convert(block.map(\.object.spectrum), edges: edges, settings: options.settings,
                                                      threads: options.threads)
            for ((object, row), result) in zip(block, results) {
                switch result {
                case let .success(rest):
                    try out.add(rest, object: object, row: row.index)
                    let masked = rest.mask.filter { $0 == 0 }.count
                    if masked > 0, !fromTable { log("\(object.id): \(masked) of \(p) grid pixels masked (bad pixels or outside the observed range)") }
                case let .failure(error):
                    guard fromTable || options.skipBad else { throw error }
                    reject(row, id: object.id, error)
                }
            }
            block.removeAll(keepingCapacity: true)
        }
        var done = 0
        try forEachRow { row in
            do {
                block += try reader.read(row, allTargets: !fromTable).map { ($0, row) }
            } catch let error as DigsError where fromTable || options.skipBad {
                reject(row, id: row.id ?? row.targetID.map(String.init) ?? ((row.file as NSString).lastPathComponent as NSString).deletingPathExtension, error)
            }
            if block.count >= Self.block { try convertBlock() }
            done += 1
            if done % 1000 == 0 || done == selected.count {
                try convertBlock()
                log("ingested \(out.count) spectra from \(done)/\(selected.count) \(fromTable ? "table rows" : "files")\(rejected.isEmpty ? "" : ", \(rejected.count) skipped")")
            }
        }
        try convertBlock()
        // Read failures are found as rows are read, conversion failures when their block is
        // converted: listed by row (then in the order found) whatever the block size.
        rejected = rejected.enumerated().sorted { ($0.element.row, $0.offset) < ($1.element.row, $1.offset) }.map(\.element)
        guard out.count > 0 else {
            throw DigsError.invalidInput(field: fromTable ? "object table" : "FILES",
                                         problem: "none of the \(selected.count) objects could be ingested" + (rejected.first.map { "; the first: \($0.reason)" } ?? ""))
        }
        try out.flush()
        try writer.file.createGroup("rejected")
        let rowSet = try writer.createDataset("rejected/row", dtype: .int64, shape: [rejected.count], axes: ["rejected"], units: "",
                                              description: "object-table row (0-based; command line: file number) that could not be ingested")
        if !rejected.isEmpty { try rowSet.write(NDArray(shape: [rejected.count], data: rejected.map { Int64($0.row) })) }
        try writer.writeStrings("rejected/id", rejected.map(\.id), axis: "rejected", description: "its id (the row's, or the file name)")
        try writer.writeStrings("rejected/path", rejected.map(\.path), axis: "rejected", description: "its spectrum file")
        try writer.writeStrings("rejected/reason", rejected.map(\.reason), axis: "rejected", description: "why it could not be ingested")
        try writer.commit()
        log("wrote \(output): \(out.count) observations" + (rejected.isEmpty ? "" : "; \(rejected.count) objects skipped, listed under rejected/"))
    }

    /// What an observation_set records as its `config`.
    struct RecordedSettings: Encodable {
        let settings: IngestSettings
        let redshift: Double?
    }

    /// The per-galaxy datasets, filled block by block (the strings too: nothing per object
    /// stays in memory).
    struct Output {
        let flux, sigma, mask, redshift, distance, ebv, row, age: HDF5Dataset
        let idSet, pathSet, digestSet, originSet: HDF5Dataset
        let pixels: Int
        let cosmology: FlatLambdaCDM
        var pending = (flux: [Float](), sigma: [Float](), mask: [UInt8](), redshift: [Double](), distance: [Double](),
                       ebv: [Double](), row: [Int64](), age: [Double]())
        var ids = [String](), paths = [String](), digests = [String](), origins = [String]()
        private(set) var count = 0

        init(writer: ProductWriter, pixels p: Int, cosmology: FlatLambdaCDM) throws {
            self.cosmology = cosmology
            func extendable(_ name: String, _ dtype: HDF5DType, _ shape: [Int], _ axes: [String], _ units: String, _ text: String) throws -> HDF5Dataset {
                try writer.createDataset(name, dtype: dtype, shape: shape, axes: axes, units: units, description: text, extendable: true)
            }
            pixels = p
            func strings(_ name: String, _ text: String) throws -> HDF5Dataset {
                try writer.writeStrings(name, [], axis: "galaxy", description: text, extendable: true)
            }
            idSet = try strings("ids", "observation ids")
            pathSet = try strings("source/path", "observed spectrum file each row was ingested from")
            digestSet = try strings("source/sha256", "SHA-256 of that file")
            originSet = try strings("source/redshift_origin",
                                    "where the redshift came from: object table, command line, the spectrum file, or the redrock file named")
            flux = try extendable("log_flux", .float32, [0, p], ["galaxy", "pixel"], "log(solLum/Angstrom)", "log10 of the rest-frame L_lambda")
            sigma = try extendable("log_flux_sigma", .float32, [0, p], ["galaxy", "pixel"], "dex", "1-sigma uncertainty of log_flux")
            mask = try extendable("mask", .uint8, [0, p], ["galaxy", "pixel"], "", "1 = pixel usable, 0 = masked")
            redshift = try extendable("redshift", .float64, [0], ["galaxy"], "", "spectroscopic redshift")
            distance = try extendable("luminosity_distance", .float64, [0], ["galaxy"], "Mpc",
                                      "luminosity distance used for L_lambda (the object's own, or from the redshift and the cosmology)")
            ebv = try extendable("ebv", .float64, [0], ["galaxy"], "mag", "Milky-Way E(B-V) corrected for")
            age = try extendable("age_of_universe", .float64, [0], ["galaxy"], "Gyr",
                                 "age of the Universe at the redshift (the cosmology's): the upper bound of t_age for this object")
            row = try extendable("source/row", .int64, [0], ["galaxy"], "", "object-table row (0-based; command line: file number) of each observation")
        }

        mutating func add(_ rest: RestFrameSpectrum, object: SpectrumReader.Object, row index: Int) throws {
            pending.flux += rest.logFlux
            pending.sigma += rest.sigma
            pending.mask += rest.mask
            pending.redshift.append(object.spectrum.redshift)
            pending.distance.append(rest.luminosityDistanceMpc)
            pending.ebv.append(rest.ebv)
            pending.row.append(Int64(index))
            pending.age.append(cosmology.age(object.spectrum.redshift))
            ids.append(object.id)
            paths.append(object.spectrum.source)
            digests.append(object.sha256)
            origins.append(object.redshiftOrigin)
            count += 1
            if pending.row.count >= IngestStage.block { try flush() }
        }

        mutating func flush() throws {
            let n = pending.row.count
            guard n > 0 else { return }
            try flux.append(NDArray(shape: [n, pixels], data: pending.flux))
            try sigma.append(NDArray(shape: [n, pixels], data: pending.sigma))
            try mask.append(NDArray(shape: [n, pixels], data: pending.mask))
            try redshift.append(NDArray(shape: [n], data: pending.redshift))
            try distance.append(NDArray(shape: [n], data: pending.distance))
            try ebv.append(NDArray(shape: [n], data: pending.ebv))
            try row.append(NDArray(shape: [n], data: pending.row))
            try age.append(NDArray(shape: [n], data: pending.age))
            try idSet.appendStrings(ids)
            try pathSet.appendStrings(paths)
            try digestSet.appendStrings(digests)
            try originSet.appendStrings(origins)
            pending = ([], [], [], [], [], [], [], [])
            (ids, paths, digests, origins) = ([], [], [], [])
        }
    }
}

/// Reads the spectra of object-table rows, each file once: the bytes are hashed and parsed from
/// memory; the last DESI file (and its redrock redshifts) stays open for the rows that follow.
final class SpectrumReader {
    struct Object {
        var id: String
        var spectrum: ObservedSpectrum
        var sha256: String
        var redshiftOrigin: String

        /// A spectrum of `row`: the row's id (else the file's), distance and E(B−V) take over.
        init(row: ObjectTable.Row, spectrum: ObservedSpectrum, sha256: String, redshiftOrigin: String) {
            var s = spectrum
            (s.luminosityDistanceMpc, s.milkyWayEBV) = (row.luminosityDistanceMpc, row.ebv)
            (id, self.spectrum, self.sha256, self.redshiftOrigin) = (row.id ?? spectrum.id, s, sha256, redshiftOrigin)
        }
    }

    let options: IngestStage.Options
    private var desi: (path: String, sha256: String, coadd: DESICoadd, redrock: Result<RedrockRedshifts, DigsError>?)?

    init(options: IngestStage.Options) { self.options = options }

    /// The spectra of one row: one, or with `allTargets` every target of a DESI file.
    func read(_ row: ObjectTable.Row, allTargets: Bool) throws -> [Object] {
        let given = row.redshift.map { ($0, "object table") } ?? options.redshift.map { ($0, "command line") }
        var format = row.format ?? options.settings.format
        if let open = desi, open.path == row.file, format == .auto || format == .desi {
            return try targets(of: row, allTargets: allTargets, given: given)
        }
        desi = nil   // the previous DESI file's spectra go before the next file is read
        let file = try MappedFile(path: row.file)
        let sha = "sha256:" + file.withBytes(FileDigest.sha256(bytes:))
        let fits = SpectrumFiles.isCSV(row.file) && (format == .auto || format == .table) ? nil : try FITSFile(mapped: file)
        let detected = format == .auto
        if detected {
            if let fits {
                format = fits.hasHDU(extname: "COADD") || fits.hasHDU(extname: "SPECOBJ") ? .sdss
                    : DESICoadd.recognises(fits) ? .desi : SpectrumFiles.recognisesSpSpec(fits) ? .spspec : .table
            } else {
                format = .table
            }
        }
        func object(_ spectrum: ObservedSpectrum, origin: String) -> Object {
            Object(row: row, spectrum: spectrum, sha256: sha, redshiftOrigin: origin)
        }
        switch format {
        case .sdss:
            return [object(try SpectrumFiles.readSDSS(fits!, redshift: given?.0), origin: given?.1 ?? "spectrum file")]
        case .spspec:
            return [object(try SpectrumFiles.readSpSpec(fits!, redshift: given?.0), origin: given?.1 ?? "spectrum file")]
        case .table:
            // A FITS file taken for a table because it is neither SDSS nor DESI says so.
            let guess = detected && fits != nil ? "is neither an SDSS spec file (no HDU COADD or SPECOBJ), an SDSS DR7 spSpec file (no primary image with COEFF0, COEFF1) nor a DESI coadd or spectra file (no FIBERMAP and B_FLUX); its HDUs are \(fits!.extensionNames().joined(separator: ", ")), so it was read as a table: " : ""
            do {
                let spectrum = try SpectrumFiles.readTable(file, fits: fits, redshift: given?.0,
                                                           fluxUnit: options.settings.fluxUnit, medium: options.settings.medium)
                return [object(spectrum, origin: given?.1 ?? "spectrum file")]
            } catch let DigsError.invalidProduct(path, field, problem) where !guess.isEmpty && (field.hasPrefix("column ") || field.hasPrefix("HDU ")) {
                throw DigsError.invalidProduct(path: path, field: field, problem: problem + " (the file " + guess.dropLast(2) + ")")
            } catch let DigsError.invalidInput(_, problem) {
                throw DigsError.invalidInput(field: "\(row.location) redshift", problem: guess.isEmpty ? problem : "\(row.file) \(guess)" + problem)
            }
        case .desi:
            desi = (row.file, sha, try DESICoadd(file: fits!), nil)
            return try targets(of: row, allTargets: allTargets, given: given)
        case .auto:
            preconditionFailure("the format is resolved above")
        }
    }

    /// The targets of the open DESI file that `row` asks for.
    private func targets(of row: ObjectTable.Row, allTargets: Bool, given: (Double, String)?) throws -> [Object] {
        guard let open = desi else { return [] }
        let coadd = open.coadd
        let chosen: [Int]
        if let id = row.targetID {
            guard let k = coadd.row(of: id) else {
                throw DigsError.invalidProduct(path: row.file, field: "FIBERMAP TARGETID", problem: "has no target \(id) (\(row.location) asks for it)")
            }
            chosen = [k]
        } else if allTargets || coadd.targetIDs.count == 1 {
            chosen = Array(coadd.targetIDs.indices)
        } else {
            throw DigsError.invalidInput(field: "\(row.location) targetid",
                                         problem: "is empty, and \(row.file) holds \(coadd.targetIDs.count) targets: give the TARGETID of this row's object")
        }
        return try chosen.map { k in
            let id = coadd.targetIDs[k]
            if let status = coadd.fiberStatus?[k], status != 0 {
                throw DigsError.invalidProduct(path: row.file, field: "FIBERMAP COADD_FIBERSTATUS of TARGETID \(id)",
                                               problem: "is \(status): DESI flags a fibre problem in the coadded exposures (0 = good)")
            }
            let (z, origin) = try given ?? redshift(of: id, in: open.path)
            return Object(row: row, spectrum: coadd.spectrum(row: k, redshift: z, id: String(id)), sha256: open.sha256, redshiftOrigin: origin)
        }
    }

    /// The redrock redshift of a target, from the redrock file beside the coadd file.
    private func redshift(of target: Int64, in coadd: String) throws -> (Double, String) {
        if desi?.redrock == nil {
            let path = RedrockRedshifts.path(besideCoadd: coadd)
            desi?.redrock = Result(catching: {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw DigsError.invalidInput(field: "redshift",
                                                 problem: "\(coadd) has no redshifts: give them in the object table's column redshift, or put its redrock file \(path) beside it")
                }
                return try RedrockRedshifts(file: FITSFile(mapped: MappedFile(path: path)))
            }).mapError { $0 as? DigsError ?? DigsError.unreadableFile(path: path, reason: "\($0)") }
        }
        let redrock = try desi!.redrock!.get()
        guard let entry = redrock.redshifts[target] else {
            throw DigsError.invalidProduct(path: redrock.path, field: "REDSHIFTS TARGETID", problem: "has no entry for target \(target)")
        }
        guard entry.zwarn == 0 else {
            throw DigsError.invalidProduct(path: redrock.path, field: "REDSHIFTS ZWARN of TARGETID \(target)",
                                           problem: "is \(entry.zwarn): redrock flags the redshift as unreliable (give one in the object table to use it anyway)")
        }
        return (entry.z, (redrock.path as NSString).lastPathComponent)
    }
}
