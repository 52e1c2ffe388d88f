import Diagnostics
import DigsCore
import FITSIO
import ForwardModel
import Foundation
import ProductIO

/// `digs export`: a `posterior_samples` product → a FITS catalog, one BINTABLE
/// `DIGS_POSTERIORS` with one row per galaxy (percentiles, mean, std, MAP, truth when known,
/// derived quantities, predictive check, quality FLAG), units in FITS syntax, descriptions in
/// TCOMMn, UCDs in TUCDn, provenance in the primary header, and optionally the calibration
/// table `DIGS_CALIBRATION` and the full samples. Written to a temporary name and renamed;
/// streams by row blocks.
public enum ExportStage {
    static let statistics: [(suffix: String, ucd: String, meaning: String)] = [
        ("P16", "stat.percentile", "16th percentile of the posterior"),
        ("P50", "stat.median", "posterior median"),
        ("P84", "stat.percentile", "84th percentile of the posterior"),
        ("MEAN", "stat.mean", "posterior mean"),
        ("STD", "stat.stdev", "posterior standard deviation"),
        ("MAP", "stat.max", "highest-density posterior sample"),
    ]

    /// A unit as the catalog writes it: TUNIT in the FITS syntax every reader parses, and what the
    /// comment adds. Logarithmic units (`log(solMass)`) have no such syntax that astropy, TOPCAT and
    /// fitsverify all accept, so the column is dimensionless in TUNIT and its comment says
    /// "[log10 of solMass]" (as MPA-JHU and GAMA catalogs state dex quantities).
    static func catalogUnit(_ unit: String) -> (tunit: String, note: String) {
        guard unit.hasPrefix("log("), unit.hasSuffix(")") else { return (unit, "") }
        return ("", " [log10 of \(unit.dropFirst(4).dropLast())]")
    }

    /// The rows of an ingested observation set: each observation's object-table row, and the
    /// objects that could not be ingested (appended to the catalog with flag 16 and their reason).
    struct IngestedRows {
        let rows: [Int64]
        let rejected: [(row: Int64, id: String, reason: String)]

        /// The rows of `path` when it is the posterior's observation set and was made by `digs ingest`.
        static func read(_ path: String, posterior: Product, galaxies: Int) throws -> IngestedRows? {
            let observations = try Product.open(path)
            guard observations.kind == .observationSet, observations.file.exists("source/row") else { return nil }
            guard posterior.provenance.inputs.contains(where: { $0.contentDigest == observations.provenance.contentDigest }) else {
                throw DigsError.invalidProduct(path: path, field: "content_digest",
                                               problem: "is not that of the observations \(posterior.path) was inferred from: products of different runs")
            }
            let rows: [Int64] = try observations.dataset("source/row", dtype: .int64, rank: 1).read(as: Int64.self).data
            guard rows.count == galaxies else {
                throw DigsError.invalidProduct(path: path, field: "source/row", problem: "has \(rows.count) entries for the posterior's \(galaxies) galaxies")
            }
            guard observations.file.exists("rejected/row") else { return IngestedRows(rows: rows, rejected: []) }
            let rejectedRows: [Int64] = try observations.dataset("rejected/row", dtype: .int64, rank: 1).read(as: Int64.self).data
            let ids = try observations.dataset("rejected/id", rank: 1).readStrings()
            let reasons = try observations.dataset("rejected/reason", rank: 1).readStrings()
            guard ids.count == rejectedRows.count, reasons.count == rejectedRows.count else {
                throw DigsError.invalidProduct(path: path, field: "rejected/", problem: "row, id and reason differ in length")
            }
            return IngestedRows(rows: rows, rejected: rejectedRows.indices.map { (rejectedRows[$0], ids[$0], reasons[$0]) })
        }
    }

    /// The value of a column for rows that have no posterior: NaN for floating-point columns, 0 otherwise.
    static func missing(_ column: FITSColumn, count: Int) -> ColumnValues {
        let repeats = Int(column.format.prefix { $0.isNumber }) ?? 1
        switch column.format.last {
        case "D": return .double(Array(repeating: .nan, count: count * repeats))
        case "E": return .float(Array(repeating: .nan, count: count * repeats))
        case "K": return .int64(Array(repeating: 0, count: count))
        case "J": return .int32(Array(repeating: 0, count: count))
        case "B": return .uint8(Array(repeating: 0, count: count))
        default: return .strings(Array(repeating: "", count: count))
        }
    }

    public static func run(posteriorPath: String, sbcPath: String?, observationsPath: String? = nil, output: String,
                           pipelineName: String, includeSamples: Bool, overwrite: Bool, chunk: Int = 4096,
                           log: (String) -> Void) throws {
        try requireNotAnInput(output: output, inputs: [posteriorPath] + [sbcPath, observationsPath].compactMap { $0 })
        if FileManager.default.fileExists(atPath: output) && !overwrite { throw DigsError.alreadyExists(path: output) }
        let product = try Product.open(posteriorPath, expecting: .posteriorSamples)
        let samplesSet = try product.dataset("samples", dtype: .float32, rank: 3)
        let (n, s, d) = (samplesSet.shape[0], samplesSet.shape[1], samplesSet.shape[2])
        let names = try product.file.attribute("parameter_names")?.stringsValue ?? []
        let units = try samplesSet.attribute("units")?.stringsValue ?? []
        guard names.count == d, units.count == d else {
            throw DigsError.invalidProduct(path: posteriorPath, field: "parameter_names/units", problem: "must list \(d) parameters")
        }
        let derivedSet = product.file.exists("derived/samples") ? try product.dataset("derived/samples", rank: 3) : nil
        let derivedNames = try derivedSet?.attribute("derived_names")?.stringsValue ?? []
        let derivedUnits = try derivedSet?.attribute("units")?.stringsValue ?? []
        let hasTruth = product.file.exists("theta_true")
        var ids = try ObservationIDs.read(product)
        guard ids.count == n else {
            throw DigsError.invalidProduct(path: posteriorPath, field: "ids", problem: "has \(ids.count) entries for \(n) galaxies")
        }
        let ingested = try observationsPath.flatMap { try IngestedRows.read($0, posterior: product, galaxies: n) }
        let rejected = ingested?.rejected ?? []
        if !rejected.isEmpty, case let .integers(v) = ids { ids = .strings(v.map(String.init)) }

        // Columns, in order, each with how its values are read for a block of galaxies.
        let blocks = BlockReader()
        var columns = [FITSColumn]()
        var fillers = [(Range<Int>) throws -> ColumnValues]()
        switch ids {
        case let .integers(v):
            columns.append(FITSColumn(name: "ID", format: "K", unit: "", comment: "observation id", ucd: "meta.id;meta.main"))
            fillers.append { .int64(Array(v[$0])) }
        case let .strings(v):
            let width = max(1, (v + rejected.map(\.id)).map(\.utf8.count).max() ?? 1)
            columns.append(FITSColumn(name: "ID", format: "\(width)A", unit: "", comment: "observation id", ucd: "meta.id;meta.main"))
            fillers.append { .strings(Array(v[$0])) }
        }
        if let ingested {
            columns.append(FITSColumn(name: "INPUT_ROW", format: "K", unit: "", comment: "row of the object table (0-based)", ucd: "meta.id"))
            fillers.append { .int64(Array(ingested.rows[$0])) }
        }
        func parameterColumns(_ name: String, _ unit: String, index j: Int, count: Int, prefix: String) throws {
            let word = ParameterVocabulary.describe(name, units: unit)
            let percentiles = try product.dataset(prefix + "percentiles", dtype: .float64, rank: 3)
            for (q, stat) in statistics.enumerated() {
                let (tunit, note) = catalogUnit(unit)
                columns.append(FITSColumn(name: "\(word.fitsName)_\(stat.suffix)", format: "D", unit: tunit,
                                          comment: "\(stat.meaning): \(word.meaning)\(note)",
                                          ucd: word.ucd.isEmpty ? stat.ucd : "\(word.ucd);\(stat.ucd)"))
                if q < 3 {
                    fillers.append { rows in
                        let block = try blocks.read(percentiles, rows)
                        return .double((0..<rows.count).map { block.data[($0 * 3 + q) * count + j] })
                    }
                } else {
                    let set = try product.dataset(prefix + ["mean", "std", "map"][q - 3], dtype: .float64, rank: 2)
                    fillers.append { rows in
                        let block = try blocks.read(set, rows)
                        return .double((0..<rows.count).map { block.data[$0 * count + j] })
                    }
                }
            }
        }
        for (j, name) in names.enumerated() {
            try parameterColumns(name, units[j], index: j, count: d, prefix: "")
            if hasTruth {
                let word = ParameterVocabulary.describe(name, units: units[j])
                let truth = try product.dataset("theta_true", dtype: .float64, rank: 2)
                let (tunit, note) = catalogUnit(units[j])
                columns.append(FITSColumn(name: "\(word.fitsName)_TRUE", format: "D", unit: tunit,
                                          comment: "true value (simulated observation): \(word.meaning)\(note)"))
                fillers.append { rows in
                    let block = try blocks.read(truth, rows)
                    return .double((0..<rows.count).map { block.data[$0 * d + j] })
                }
            }
        }
        for (j, name) in derivedNames.enumerated() {
            try parameterColumns(name, derivedUnits[j], index: j, count: derivedNames.count, prefix: "derived/")
        }
        if product.file.exists("ppc/chi2") {
            let chi2 = try product.dataset("ppc/chi2", dtype: .float64, rank: 1)
            let dof = try product.dataset("ppc/dof", rank: 1)
            let pvalue = try product.dataset("ppc/pvalue", dtype: .float64, rank: 1)
            columns.append(FITSColumn(name: "PPC_CHI2", format: "D", unit: "",
                                      comment: "chi-square of the observed spectrum against the predictive median", ucd: "stat.fit.chi2"))
            fillers.append { .double(try chi2.readRows($0).data) }
            columns.append(FITSColumn(name: "PPC_DOF", format: "J", unit: "", comment: "pixels in PPC_CHI2", ucd: "stat.fit.dof"))
            fillers.append { .int32(try dof.readRows($0, as: Int32.self).data) }
            columns.append(FITSColumn(name: "PPC_PVALUE", format: "D", unit: "",
                                      comment: "posterior predictive p-value of the chi-square discrepancy", ucd: "stat.probability"))
            fillers.append { .double(try pvalue.readRows($0).data) }
        }
        if product.file.exists("importance/ess_fraction") {
            let ess = try product.dataset("importance/ess_fraction", dtype: .float64, rank: 1)
            let paretoK = try product.dataset("importance/pareto_k", dtype: .float64, rank: 1)
            columns.append(FITSColumn(name: "IS_ESS_FRAC", format: "D", unit: "",
                                      comment: "effective sample size over samples of the flow's samples weighed by the exact posterior",
                                      ucd: "stat.fit.goodness"))
            fillers.append { .double(try ess.readRows($0).data) }
            columns.append(FITSColumn(name: "PARETO_K", format: "D", unit: "",
                                      comment: "Pareto-smoothed importance sampling k-hat of those weights (flag 8 above the threshold)",
                                      ucd: "stat.fit.goodness"))
            fillers.append { .double(try paretoK.readRows($0).data) }
        }
        let flags = try product.dataset("flags", dtype: .uint8, rank: 1)
        columns.append(FITSColumn(name: "FLAG", format: "B", unit: "",
                                  comment: "1 out-of-distribution, 2 invalid input, 4 median at a prior edge, 8 unreliable flow, 16 not ingested; 0 fine",
                                  ucd: "meta.code.qual"))
        fillers.append { .uint8(try flags.readRows($0).data) }
        let flagColumn = columns.count - 1
        if ingested != nil {
            // Real targets: each problem in words (a prior-edge pile-up names the parameter and the edge).
            let width = max(200, rejected.map(\.reason.utf8.count).max() ?? 1)
            columns.append(FITSColumn(name: "PROBLEM", format: "\(width)A", unit: "",
                                      comment: "the flags in words, or why the object could not be ingested (flag 16); empty: none", ucd: "meta.note"))
            let problems = try PosteriorProblems(product)
            fillers.append { rows in .strings(try problems.texts(rows).map { String($0.utf8.prefix(width)) ?? $0 }) }
        }
        if includeSamples {
            columns.append(FITSColumn(name: "SAMPLES", format: "\(s * d)E", unit: "",
                                      comment: "posterior samples, \(s) x (\(names.joined(separator: ", "))) in the units above",
                                      dimensions: [d, s]))
            fillers.append { .float(try samplesSet.readRows($0).data) }
        }

        let temporary = AtomicWrite.temporaryPath(for: output)
        do {
            let writer = try FITSTableWriter(path: temporary, primaryKeywords: try primaryKeywords(
                product: product, pipelineName: pipelineName, names: names, samples: s))
            try writer.writeDate()
            try writer.createTable(extname: "DIGS_POSTERIORS", columns: columns, keywords: [
                FITSKeyword("ORIGIN", .string("DIGS"), "software that made this table"),
                FITSKeyword("NSAMPLE", .int(Int64(s)), "posterior samples per galaxy"),
            ])
            try writer.writeDate()
            func write(_ values: ColumnValues, column c: Int, firstRow: Int) throws {
                switch values {
                case let .double(v): try writer.write(column: c + 1, firstRow: firstRow, v)
                case let .float(v): try writer.write(column: c + 1, firstRow: firstRow, v)
                case let .int64(v): try writer.write(column: c + 1, firstRow: firstRow, v)
                case let .int32(v): try writer.write(column: c + 1, firstRow: firstRow, v.map(Int64.init))
                case let .uint8(v): try writer.write(column: c + 1, firstRow: firstRow, v)
                case let .strings(v): try writer.write(column: c + 1, firstRow: firstRow, v)
                }
            }
            var start = 0
            while start < n {
                let rows = start..<min(n, start + chunk)
                for (c, fill) in fillers.enumerated() { try write(try fill(rows), column: c, firstRow: start + 1) }
                start = rows.upperBound
                log("exported \(start)/\(n) galaxies")
            }
            // Objects without a posterior follow, one row each: their id, row, flag 16 and reason.
            for (k, object) in rejected.enumerated() {
                for (c, column) in columns.enumerated() {
                    let values: ColumnValues
                    switch column.name {
                    case "ID": values = .strings([object.id])
                    case "INPUT_ROW": values = .int64([object.row])
                    case "PROBLEM": values = .strings([object.reason])
                    default: values = c == flagColumn ? .uint8([PosteriorFlags.notIngested.rawValue]) : missing(column, count: 1)
                    }
                    try write(values, column: c, firstRow: n + k + 1)
                }
            }
            if let sbcPath { try writeCalibration(sbcPath: sbcPath, posterior: product, writer: writer) }
            try writer.finish()
            try AtomicWrite.moveIntoPlace(temporary, to: output)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        log("wrote \(output): \(n + rejected.count) rows\(rejected.isEmpty ? "" : " (\(rejected.count) not ingested, flag 16)"), \(columns.count) columns")
    }

    /// Row blocks of float64 datasets, each read once per block however many columns take
    /// values from it (percentiles feed three columns per parameter).
    final class BlockReader {
        private var rows: Range<Int>?
        private var cache: [String: NDArray<Double>] = [:]

        func read(_ set: HDF5Dataset, _ rows: Range<Int>) throws -> NDArray<Double> {
            if rows != self.rows { (self.rows, cache) = (rows, [:]) }
            if let block = cache[set.objectPath] { return block }
            let block: NDArray<Double> = try set.readRows(rows)
            cache[set.objectPath] = block
            return block
        }
    }

    enum ColumnValues {
        case double([Double]), float([Float]), int64([Int64]), int32([Int32]), uint8([UInt8]), strings([String])
    }

    static func primaryKeywords(product: Product, pipelineName: String, names: [String],
                                samples: Int) throws -> [FITSKeyword] {
        let p = product.provenance
        var k = [
            FITSKeyword("ORIGIN", .string("DIGS"), "Deep Inference of Galaxy Spectra"),
            FITSKeyword("CREATOR", .string("digs \(digsVersion)"), "software and version"),
            FITSKeyword("PIPELINE", .string(pipelineName), "pipeline name"),
            FITSKeyword("SEED", .int(Int64(bitPattern: p.seed)), "seed of the posterior sampling"),
            FITSKeyword("NSAMPLE", .int(Int64(samples)), "posterior samples per galaxy"),
            FITSKeyword("POSTDIG", .string(p.contentDigest), "content digest of the posterior_samples product"),
            FITSKeyword("POSTTIME", .string(p.created), "UTC creation time of the posterior product"),
        ]
        for input in p.inputs {
            let key = ["flow_model": "FLOWDIG", "observations": "OBSDIG", "ssp_library": "SSPDIG"][input.role]
            if let key { k.append(FITSKeyword(key, .string(input.contentDigest), "content digest of the \(input.role) product")) }
        }
        let low = try product.file.attribute("prior_low")?.doublesValue ?? []
        let high = try product.file.attribute("prior_high")?.doublesValue ?? []
        for (j, name) in names.enumerated() where j < low.count && j < high.count {
            k.append(FITSKeyword("PNAME\(j + 1)", .string(name), "parameter \(j + 1)"))
            k.append(FITSKeyword("PLOW\(j + 1)", .double(low[j]), "lower prior bound of \(name)"))
            k.append(FITSKeyword("PHIGH\(j + 1)", .double(high[j]), "upper prior bound of \(name)"))
        }
        return k
    }

    /// The second table: one row per parameter with the SBC, coverage and accuracy figures.
    static func writeCalibration(sbcPath: String, posterior: Product, writer: FITSTableWriter) throws {
        let sbc = try Product.open(sbcPath, expecting: .sbcResult)
        guard sbc.provenance.inputs.contains(where: { $0.contentDigest == posterior.provenance.contentDigest }) else {
            throw DigsError.invalidProduct(path: sbcPath, field: "inputs",
                                           problem: "was not computed from \(posterior.path) (different content digest): products of different runs")
        }
        let names = try sbc.file.attribute("parameter_names")?.stringsValue ?? []
        let fields: [(String, String, String)] = [
            ("KS_PVALUE", "ks_pvalue", "KS p-value of SBC rank uniformity"),
            ("CHI2_PVALUE", "chi2_pvalue", "chi-square p-value of the SBC rank histogram"),
            ("MAX_COVERAGE_ERROR", "max_coverage_error", "largest |marginal coverage - level| over levels 0.05-0.95"),
            ("BIAS", "accuracy/bias", "mean of median - truth (parameter units)"),
            ("RMSE", "accuracy/rmse", "root mean square of median - truth (parameter units)"),
            ("PEARSON_R", "accuracy/pearson_r", "Pearson correlation of medians and truths"),
            ("CHI_MEAN", "accuracy/chi_mean", "mean of (median - truth) / ((P84 - P16) / 2)"),
            ("CHI_STD", "accuracy/chi_std", "standard deviation of that chi"),
        ]
        let width = max(1, names.map(\.utf8.count).max() ?? 1)
        let columns = [FITSColumn(name: "PARAMETER", format: "\(width)A", unit: "", comment: "parameter name", ucd: "meta.id")]
            + fields.map { FITSColumn(name: $0.0, format: "D", unit: "", comment: $0.2) }
        let galaxies = try sbc.dataset("ranks", rank: 2).shape[0]
        try writer.createTable(extname: "DIGS_CALIBRATION", columns: columns, keywords: [
            FITSKeyword("NGALAXY", .int(Int64(galaxies)), "test galaxies in the calibration"),
            FITSKeyword("SBCDIG", .string(sbc.provenance.contentDigest), "content digest of the sbc_result product"),
        ])
        try writer.write(column: 1, firstRow: 1, names)
        for (c, field) in fields.enumerated() {
            try writer.write(column: c + 2, firstRow: 1, try sbc.dataset(field.1, dtype: .float64, rank: 1).read(as: Double.self).data)
        }
    }
}
