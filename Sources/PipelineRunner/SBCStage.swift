import DigsCore
import Diagnostics
import Foundation
import ProductIO

/// `digs sbc`: calibration of a posterior estimator on galaxies with known truth
/// (`posterior_samples` with `theta_true`) → `sbc_result`: SBC ranks with KS and χ² tests,
/// marginal and joint (HPD) coverage, TARP and the accuracy of the medians; prints the table.
/// Reads the samples chunk by chunk; rank ties and TARP references use stream
/// (`.calibration`, galaxy index).
public enum SBCStage {
    @discardableResult
    public static func run(posteriorPath: String, output: String, seed: UInt64, overwrite: Bool, shard: Shard = .whole,
                           chunk: Int = 256, log: (String) -> Void) throws -> String {
        if FileManager.default.fileExists(atPath: output) && !overwrite { throw DigsError.alreadyExists(path: output) }
        let product = try Product.open(posteriorPath, expecting: .posteriorSamples)
        guard product.file.exists("theta_true"), product.file.exists("log_prob_true") else {
            throw DigsError.invalidProduct(path: posteriorPath, field: "theta_true",
                                           problem: "is missing: calibration needs observations with known truth (simulated test spectra)")
        }
        let samplesSet = try product.dataset("samples", dtype: .float32, rank: 3)
        let logProbSet = try product.dataset("log_prob", dtype: .float32, rank: 2)
        let truthSet = try product.dataset("theta_true", dtype: .float64, rank: 2)
        let truthLogProbSet = try product.dataset("log_prob_true", dtype: .float64, rank: 1)
        let (total, s, d) = (samplesSet.shape[0], samplesSet.shape[1], samplesSet.shape[2])
        let slice = shard.rows(of: total), n = slice.upperBound
        guard s > 0 else {
            throw DigsError.invalidProduct(path: posteriorPath, field: "samples", problem: "holds zero samples per galaxy")
        }
        guard truthSet.shape == [total, d], logProbSet.shape == [total, s], truthLogProbSet.shape == [total] else {
            throw DigsError.invalidProduct(path: posteriorPath, field: "theta_true/log_prob",
                                           problem: "shapes \(truthSet.shape), \(logProbSet.shape), \(truthLogProbSet.shape) do not fit samples \(samplesSet.shape)")
        }
        let file = product.file
        let names = try file.attribute("parameter_names")?.stringsValue ?? []
        let units = try truthSet.attribute("units")?.stringsValue ?? names.map { _ in "" }
        guard let low = try file.attribute("prior_low")?.doublesValue, let high = try file.attribute("prior_high")?.doublesValue,
              names.count == d, low.count == d, high.count == d else {
            throw DigsError.invalidProduct(path: posteriorPath, field: "root attributes parameter_names/prior_low/prior_high",
                                           problem: "must each list \(d) values")
        }
        let ids = try ObservationIDs.read(product)
        var accumulator = CalibrationAccumulator(names: names, low: low, high: high)
        let streams = RandomStreams(seed: seed)
        var used = [Int]()
        var start = slice.lowerBound
        while start < n {
            let range = start..<min(n, start + chunk)
            let samples: NDArray<Float> = try samplesSet.readRows(range)
            let logProb: NDArray<Float> = try logProbSet.readRows(range)
            let truth: NDArray<Double> = try truthSet.readRows(range)
            let truthLogProb: NDArray<Double> = try truthLogProbSet.readRows(range)
            for (i, galaxy) in range.enumerated() {
                let x = samples.data[(i * s * d)..<((i + 1) * s * d)].map(Double.init)
                let lq = logProb.data[(i * s)..<((i + 1) * s)].map(Double.init)
                let t = Array(truth.data[(i * d)..<((i + 1) * d)])
                guard x.allSatisfy(\.isFinite), t.allSatisfy(\.isFinite), truthLogProb.data[i].isFinite else { continue }
                var g = streams.generator(.calibration, index: UInt64(galaxy))
                try accumulator.add(samples: x, logProb: lq, truth: t, truthLogProb: truthLogProb.data[i], generator: &g)
                used.append(galaxy)
            }
            start = range.upperBound
            log("ranked \(start - slice.lowerBound)/\(slice.count) galaxies")
        }
        guard !used.isEmpty else {
            throw DigsError.invalidProduct(path: posteriorPath, field: "samples", problem: "no galaxy has finite samples and truth")
        }
        let writer = try ProductWriter(path: output, kind: .sbcResult, seed: seed, config: "{}",
                                       inputs: [product.asInput(role: "posterior_samples")], overwrite: overwrite)
        try shard.record(in: writer, rows: slice, total: total)
        return try write(accumulator, ids: ids.subset(used), units: units, skipped: slice.count - used.count, to: writer)
    }

    /// Writes the per-galaxy records and the figures computed from them, and commits.
    static func write(_ accumulator: CalibrationAccumulator, ids: ObservationIDs, units: [String], skipped: Int,
                      to writer: ProductWriter) throws -> String {
        let result = try accumulator.result()
        let names = accumulator.names, d = names.count, s = accumulator.samplesPerGalaxy ?? 0
        let records = accumulator.records, g = records.count, levels = accumulator.levels
        let summary = Self.summary(result, names: names, units: units, galaxies: g, samples: s, skipped: skipped)
        try ids.write(to: writer)
        try writer.write("ranks", NDArray(shape: [g, d], data: records.flatMap { $0.rank.map(Int64.init) }),
                         axes: ["galaxy", "parameter"], units: "", description: "rank of the true value among the posterior samples")
        try writer.write("per_galaxy/covered", NDArray(shape: [g, levels.count, d], data: records.flatMap(\.covered)),
                         axes: ["galaxy", "level", "parameter"], units: "", description: "1 when the truth lies in the central interval")
        try writer.write("per_galaxy/hpd_fraction", NDArray(shape: [g], data: records.map(\.hpdFraction)), axes: ["galaxy"],
                         units: "", description: "fraction of samples with a higher flow density than the truth")
        try writer.write("per_galaxy/tarp_fraction", NDArray(shape: [g], data: records.map(\.tarpFraction)), axes: ["galaxy"],
                         units: "", description: "fraction of samples closer to the TARP reference point than the truth")
        try writer.write("per_galaxy/log_prob_true", NDArray(shape: [g], data: records.map(\.truthLogProb)), axes: ["galaxy"],
                         units: "", description: "log q(theta_true | x) of the flow, nats")
        for (name, values, description) in [("median", records.flatMap(\.median), "posterior median"),
                                            ("sigma", records.flatMap(\.sigma), "(P84 - P16) / 2"),
                                            ("truth", records.flatMap(\.truth), "true value")] {
            try writer.writeParameterArray("per_galaxy/" + name, NDArray(shape: [g, d], data: values), axes: ["galaxy", "parameter"],
                                           parameterNames: names, parameterUnits: units, description: description)
        }
        func perParameter(_ name: String, _ values: [Double], _ description: String) throws {
            try writer.write(name, NDArray(shape: [d], data: values), axes: ["parameter"], units: "", description: description)
        }
        try perParameter("ks_statistic", result.ksStatistic, "Kolmogorov-Smirnov distance of the ranks from uniform")
        try perParameter("ks_pvalue", result.ksPValue, "Kolmogorov-Smirnov p-value of rank uniformity")
        try perParameter("chi2_statistic", result.chi2Statistic, "chi-square of the rank histogram")
        try perParameter("chi2_pvalue", result.chi2PValue, "chi-square p-value of rank-histogram uniformity")
        try perParameter("max_coverage_error", result.maxCoverageError, "largest |marginal coverage - level| over the levels")
        try writer.write("coverage_levels", NDArray(shape: [levels.count], data: levels), axes: ["level"], units: "",
                         description: "nominal credibility levels")
        try writer.write("coverage_marginal", NDArray(shape: [levels.count, d], data: result.coverageMarginal.flatMap { $0 }),
                         axes: ["level", "parameter"], units: "", description: "empirical coverage of central intervals")
        try writer.write("coverage_joint", NDArray(shape: [levels.count], data: result.coverageJoint), axes: ["level"], units: "",
                         description: "empirical coverage of highest-density regions")
        let alpha = accumulator.tarpAlpha
        try writer.write("tarp_alpha", NDArray(shape: [alpha.count], data: alpha), axes: ["tarp_point"], units: "",
                         description: "TARP credibility levels")
        try writer.write("tarp_ecp", NDArray(shape: [alpha.count], data: result.tarpECP), axes: ["tarp_point"], units: "",
                         description: "TARP expected coverage probability")
        let a = result.accuracy
        for (name, values, description) in [("bias", a.map(\.bias), "mean of median - truth"),
                                             ("rmse", a.map(\.rmse), "root mean square of median - truth")] {
            try writer.writeParameterArray("accuracy/" + name, NDArray(shape: [d], data: values), axes: ["parameter"],
                                           parameterNames: names, parameterUnits: units, description: description)
        }
        try perParameter("accuracy/pearson_r", a.map(\.pearsonR), "Pearson correlation of medians and truths")
        try perParameter("accuracy/chi_mean", a.map(\.chiMean), "mean of chi = (median - truth) / ((P84 - P16) / 2)")
        try perParameter("accuracy/chi_std", a.map(\.chiStd), "standard deviation of chi")
        try writer.file.setAttribute("parameter_names", .strings(names))
        try writer.file.setAttribute("samples_per_galaxy", .int(Int64(s)))
        try writer.file.setAttribute("histogram_bins", .int(Int64(result.chi2Bins)))
        try writer.file.setAttribute("galaxies_skipped", .int(Int64(skipped)))
        try writer.file.setAttribute("prior_low", .doubles(accumulator.low))
        try writer.file.setAttribute("prior_high", .doubles(accumulator.high))
        try writer.file.setAttribute("nltp", .double(result.nltp))
        try writer.file.setAttribute("summary", .string(summary))
        try writer.commit()
        return summary
    }

    /// Joins shard products: the figures are recomputed from all the shards' per-galaxy records.
    static func merge(_ shards: [Product], to writer: ProductWriter) throws -> String {
        let first = shards[0].file
        let names = try first.attribute("parameter_names")?.stringsValue ?? []
        guard let low = try first.attribute("prior_low")?.doublesValue, let high = try first.attribute("prior_high")?.doublesValue,
              let s = try first.attribute("samples_per_galaxy")?.intValue else {
            throw DigsError.invalidProduct(path: shards[0].path, field: "root attributes prior_low/prior_high/samples_per_galaxy",
                                           problem: "are missing: made by an older DIGS, re-run digs sbc")
        }
        let d = names.count, levels = CalibrationAccumulator.defaultLevels.count
        var records = [CalibrationAccumulator.Record](), skipped = 0
        var ids = [ObservationIDs]()
        for shard in shards {
            func values(_ name: String) throws -> [Double] { try shard.dataset(name).read(as: Double.self).data }
            let ranks = try values("ranks").map { Int($0) }, covered = try shard.dataset("per_galaxy/covered").read(as: UInt8.self).data
            let hpd = try values("per_galaxy/hpd_fraction"), tarp = try values("per_galaxy/tarp_fraction")
            let logProbTrue = shard.file.exists("per_galaxy/log_prob_true")
                ? try values("per_galaxy/log_prob_true") : [Double](repeating: .nan, count: hpd.count)
            let median = try values("per_galaxy/median"), sigma = try values("per_galaxy/sigma"), truth = try values("per_galaxy/truth")
            for g in 0..<hpd.count {
                records.append(.init(rank: Array(ranks[(g * d)..<((g + 1) * d)]),
                                     covered: Array(covered[(g * levels * d)..<((g + 1) * levels * d)]),
                                     hpdFraction: hpd[g], tarpFraction: tarp[g], median: Array(median[(g * d)..<((g + 1) * d)]),
                                     sigma: Array(sigma[(g * d)..<((g + 1) * d)]), truth: Array(truth[(g * d)..<((g + 1) * d)]),
                                     truthLogProb: logProbTrue[g]))
            }
            skipped += Int(try shard.file.attribute("galaxies_skipped")?.intValue ?? 0)
            ids.append(try ObservationIDs.read(shard))
        }
        let joined: ObservationIDs
        if case .strings = ids[0] {
            joined = .strings(ids.flatMap { if case let .strings(v) = $0 { return v } else { return [] } })
        } else {
            joined = .integers(ids.flatMap { if case let .integers(v) = $0 { return v } else { return [] } })
        }
        let units = try shards[0].dataset("accuracy/rmse").attribute("units")?.stringsValue ?? names.map { _ in "" }
        let accumulator = CalibrationAccumulator(names: names, low: low, high: high, records: records, samplesPerGalaxy: Int(s))
        return try write(accumulator, ids: joined, units: units, skipped: skipped, to: writer)
    }

    /// The table `digs sbc` prints: per parameter the SBC p-values, the worst coverage error
    /// and the accuracy of the medians; then the joint and TARP figures.
    static func summary(_ r: CalibrationAccumulator.Result, names: [String], units: [String], galaxies: Int,
                        samples: Int, skipped: Int) -> String {
        // Names longer than the usual 12 characters (logsfr_ratio_1) widen the first column.
        let width = max(12, names.map(\.count).max() ?? 0), pad = String(repeating: " ", count: width - 12)
        var lines = ["Calibration on \(galaxies) test galaxies, \(samples) posterior samples each" +
                     (skipped > 0 ? " (\(skipped) skipped: invalid input)" : ""),
                     "parameter" + pad + "      KS p    chi2 p  max|cov|       bias       RMSE       r   <chi>  sd chi"]
        for (j, name) in names.enumerated() {
            let a = r.accuracy[j]
            lines.append(name.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: " %9.3g %9.3g %9.3f %10.4f %10.4f %7.3f %7.3f %7.3f",
                                r.ksPValue[j], r.chi2PValue[j], r.maxCoverageError[j], a.bias, a.rmse, a.pearsonR,
                                a.chiMean, a.chiStd) + (units[j].isEmpty ? "" : "  [\(units[j])]"))
        }
        lines.append(String(format: "joint (HPD) coverage: max |coverage - level| = %.3f;  TARP: max |ECP - alpha| = %.3f",
                            r.maxJointCoverageError, r.maxTarpError))
        lines.append(String(format: "NLTP = mean -log q(theta_true | x) = %.3f nats (lower is sharper; compare flows on the same test set)", r.nltp))
        let binomial = (0.25 / Double(galaxies)).squareRoot()
        lines.append(String(format: "(one binomial sigma of a coverage at level 0.5 with %d galaxies: %.3f)", galaxies, binomial))
        return lines.joined(separator: "\n")
    }
}
