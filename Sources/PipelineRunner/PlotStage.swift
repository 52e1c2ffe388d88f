import DigsCore
import Foundation
import Plotting
import ProductIO

/// `digs plot`: figures of a run from its products, as PNG and PDF in `<output>/figures/`:
/// the training curve (flow_model), the SBC rank histograms and the coverage curves
/// (sbc_result), true vs recovered (posterior_samples), example spectra (sed_set), and for one
/// galaxy the corner plot (NPE against MCMC when the chains exist) and the spectrum fit, and the
/// NPE-vs-MCMC summary (mcmc_chains).
public enum PlotStage {
    public enum Figure: String, CaseIterable, Sendable {
        case training, ranks, coverage, recovery, derivedRecovery = "recovery-derived", spectra, corner, fit, sfh, comparison
    }

    /// Draws `figures` and returns the paths written.
    @discardableResult
    /// `galaxies`: the rows drawn by the corner and fit figures; with more than one, each is
    /// named by its galaxy (`fit-<id>.png`).
    public static func run(figures: [Figure], flowPath: String, sbcPath: String, posteriorPath: String, sedPath: String,
                           mcmcPath: String, galaxies: GalaxyChoice = .row(0), folder: String, log: (String) -> Void) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var written = [String]()
        for figure in figures {
            // Each figure's data are read once, then drawn as PNG and as PDF.
            var draw: (String, Canvas.Format) throws -> Void = { _, _ in }
            var perGalaxy = [(name: String, draw: (String, Canvas.Format) throws -> Void)]()
            switch figure {
            case .training:
                let flow = try Product.open(flowPath, expecting: .flowModel)
                let train: [Double] = try flow.dataset("training/train_loss", rank: 1).read(as: Double.self).data
                let validation: [Double] = try flow.dataset("training/val_loss", rank: 1).read(as: Double.self).data
                guard !train.isEmpty else {
                    throw DigsError.invalidProduct(path: flowPath, field: "training/train_loss", problem: "is empty: the flow has no training history")
                }
                let best = Int(try flow.file.attribute("best_epoch")?.intValue ?? 0)
                draw = { path, format in try Figures.trainingCurve(train: train, validation: validation, bestEpoch: best, path: path, format: format) }
            case .recovery, .derivedRecovery:
                let posterior = try Product.open(posteriorPath, expecting: .posteriorSamples)
                let (truthName, percentilesName) = figure == .recovery ? ("theta_true", "percentiles") : ("derived/truth", "derived/percentiles")
                guard posterior.file.exists(truthName) else {
                    if figure == .derivedRecovery {
                        log("skipped the recovery-derived figure: \(posteriorPath) has no derived/truth (real spectra, or made before digs infer recorded it)")
                        continue
                    }
                    throw DigsError.invalidProduct(path: posteriorPath, field: truthName, problem: "is missing: recovery needs the truth")
                }
                let pct: NDArray<Double> = try posterior.dataset(percentilesName, rank: 3).read()
                let truth: NDArray<Double> = try posterior.dataset(truthName, rank: 2).read()
                let (g, d) = (truth.shape[0], truth.shape[1])
                func quantile(_ q: Int) -> [[Double]] { (0..<g).map { r in (0..<d).map { pct.data[(r * 3 + q) * d + $0] } } }
                let (t, p16, p50, p84) = ((0..<g).map { Array(truth.row($0)) }, quantile(0), quantile(1), quantile(2))
                let truthSet = try posterior.dataset(truthName)
                let names = figure == .recovery ? try posterior.file.attribute("parameter_names")?.stringsValue ?? []
                                                : try truthSet.attribute("parameter_names")?.stringsValue ?? []
                let units = try truthSet.attribute("units")?.stringsValue ?? []
                draw = { path, format in
                    try Figures.recovery(truth: t, p16: p16, p50: p50, p84: p84, names: names, units: units, path: path, format: format)
                }
            case .spectra:
                let sed = try Product.open(sedPath, expecting: .sedSet)
                let flux = try sed.dataset("log_flux", dtype: .float32, rank: 2)
                let rows: NDArray<Float> = try flux.readRows(0..<min(8, flux.shape[0]))
                let wavelength: [Double] = try sed.dataset("wavelength", rank: 1).read(as: Double.self).data
                let logFlux = (0..<rows.shape[0]).map { rows.row($0).map(Double.init) }
                draw = { path, format in try Figures.spectra(wavelength: wavelength, logFlux: logFlux, path: path, format: format) }
            case .corner, .fit, .sfh:
                let posterior = try Product.open(posteriorPath, expecting: .posteriorSamples)
                if figure == .sfh && !posterior.file.exists("sfh/sfr_percentiles") {
                    log("skipped the sfh figure: \(posteriorPath) has no sfh/sfr_percentiles (made before digs infer recorded star-formation histories; run digs infer again)")
                    continue
                }
                let samples = try posterior.dataset("samples", rank: 3)
                let (n, count, d) = (samples.shape[0], samples.shape[1], samples.shape[2])
                let rows: [Int]
                switch galaxies {
                case let .row(galaxy):
                    guard galaxy >= 0, galaxy < n else {
                        throw DigsError.invalidInput(field: "--galaxy", problem: "\(galaxy) is outside 0..<\(n) of \(posteriorPath)")
                    }
                    rows = [galaxy]
                case .all:
                    rows = Array(0..<n)
                case let .first(count):
                    rows = Array(0..<min(max(count, 0), n))
                }
                let ids = try ObservationIDs.read(posterior)
                let mcmcProduct = FileManager.default.fileExists(atPath: mcmcPath) ? try Product.open(mcmcPath, expecting: .mcmcChains) : nil
                if let mcmcProduct { try CompareStage.requireSameObservations(mcmcProduct, posterior) }
                let wavelength: [Double] = try posterior.dataset("wavelength", rank: 1).read(as: Double.self).data
                for galaxy in rows {
                let names = try posterior.file.attribute("parameter_names")?.stringsValue ?? []
                func row<T: HDF5Element>(_ name: String, as _: T.Type) throws -> [T] {
                    let set = try posterior.dataset(name)
                    return try set.readHyperslab(start: [galaxy] + set.shape.dropFirst().map { _ in 0 },
                                                 count: [1] + set.shape.dropFirst()).data
                }
                let title = "galaxy \(ids.text(at: galaxy))"
                // The same galaxy's MCMC, when the chains exist and fitted it.
                var chains: (product: Product, row: Int)?
                if let product = mcmcProduct {
                    let index: [Int64] = try product.dataset("galaxy_index", rank: 1).read(as: Int64.self).data
                    chains = index.firstIndex(of: Int64(galaxy)).map { (product, $0) }
                }
                if figure == .sfh {
                    let lookback: [Double] = try posterior.dataset("sfh/lookback_time", rank: 1).read(as: Double.self).data
                    let t = lookback.count
                    let rates = try row("sfh/sfr_percentiles", as: Double.self)
                    let truth = posterior.file.exists("sfh/sfr_true") ? try row("sfh/sfr_true", as: Double.self) : nil
                    draw = { path, format in
                        try Figures.starFormationHistory(lookbackGyr: lookback, p16: Array(rates[0..<t]), p50: Array(rates[t..<(2 * t)]),
                                                         p84: Array(rates[(2 * t)..<(3 * t)]), truth: truth, title: "Star-formation history, \(title)",
                                                         path: path, format: format)
                    }
                } else if figure == .fit {
                    var values = try ["observed/log_flux", "ppc/median", "ppc/p16", "ppc/p84", "observed/log_flux_sigma"].map {
                        try row($0, as: Float.self).map(Double.init)
                    }
                    // A masked pixel has a predictive median but no residual: no data to draw there.
                    let residual = try row("ppc/residual", as: Float.self)
                    for j in residual.indices where residual[j].isNaN && values[1][j].isFinite {
                        values[0][j] = .nan
                        values[4][j] = .nan
                    }
                    var best: [Double]?
                    if let (product, k) = chains, product.file.exists("best_log_flux") {
                        let set = try product.dataset("best_log_flux", rank: 2)
                        let spectrum: NDArray<Float> = try set.readHyperslab(start: [k, 0], count: [1, set.shape[1]])
                        best = spectrum.data.map(Double.init)
                    }
                    draw = { [best] path, format in
                        try Figures.spectrumFit(wavelength: wavelength, observed: values[0], median: values[1], p16: values[2], p84: values[3],
                                                sigma: values[4], bestFit: best, title: title, path: path, format: format)
                    }
                } else {
                    let flat = try row("samples", as: Float.self).map(Double.init)
                    let npe = (0..<count).map { Array(flat[($0 * d)..<(($0 + 1) * d)]) }
                    let truth = posterior.file.exists("theta_true") ? try row("theta_true", as: Double.self) : nil
                    var mcmc: [[Double]]?
                    if let (product, k) = chains {
                        let set = try product.dataset("chains", rank: 4)
                        let block: NDArray<Float> = try set.readHyperslab(start: [k, 0, 0, 0], count: [1] + set.shape.dropFirst())
                        mcmc = stride(from: 0, to: block.data.count, by: d).map { block.data[$0..<($0 + d)].map(Double.init) }
                    }
                    draw = { [mcmc] path, format in try Figures.corner(npe: npe, mcmc: mcmc, truth: truth, names: names, path: path, format: format) }
                }
                perGalaxy.append((galaxies == .row(galaxy) ? figure.rawValue : "\(figure.rawValue)-\(Self.fileSafe(ids.text(at: galaxy)))", draw))
                }
            case .comparison:
                guard FileManager.default.fileExists(atPath: mcmcPath) else {
                    throw DigsError.unreadableFile(path: mcmcPath, reason: "the comparison figure needs the MCMC chains (digs mcmc)")
                }
                let result = try CompareStage.run(mcmcPath: mcmcPath, posteriorPath: posteriorPath)
                let names = result.rows.map(\.parameter).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
                var subtitle = String(format: "MCMC %.1f s per galaxy on one core", result.mcmcSecondsPerGalaxy)
                if let ms = result.npeMillisecondsPerGalaxy { subtitle += String(format: "; NPE %.2f ms per galaxy", ms) }
                let offsets = names.map { n in result.rows.filter { $0.parameter == n }.map(\.medianOffset) }
                let ratios = names.map { n in result.rows.filter { $0.parameter == n }.map(\.widthRatio) }
                draw = { [subtitle] path, format in
                    try Figures.comparison(names: names, offsets: offsets, widthRatios: ratios, subtitle: subtitle, path: path, format: format)
                }
            case .ranks, .coverage:
                let sbc = try Product.open(sbcPath, expecting: .sbcResult)
                let names = try sbc.file.attribute("parameter_names")?.stringsValue ?? []
                let ranks: NDArray<Int64> = try sbc.dataset("ranks", rank: 2).read()
                let (g, d) = (ranks.shape[0], ranks.shape[1])
                let rows = (0..<g).map { r in (0..<d).map { Int(ranks.data[r * d + $0]) } }
                let samples = Int(try sbc.file.attribute("samples_per_galaxy")?.intValue ?? 0)
                if figure == .ranks {
                    let bins = Int(try sbc.file.attribute("histogram_bins")?.intValue ?? 20)
                    draw = { path, format in
                        try Figures.rankHistograms(ranks: rows, samples: samples, names: names, bins: bins, path: path, format: format)
                    }
                } else {
                    let levels: [Double] = try sbc.dataset("coverage_levels", rank: 1).read(as: Double.self).data
                    let flat: [Double] = try sbc.dataset("coverage_marginal", rank: 2).read(as: Double.self).data
                    let marginal = levels.indices.map { Array(flat[($0 * d)..<(($0 + 1) * d)]) }
                    let joint: [Double] = try sbc.dataset("coverage_joint", rank: 1).read(as: Double.self).data
                    draw = { path, format in
                        try Figures.coverage(levels: levels, marginal: marginal, joint: joint, ranks: rows, samples: samples, names: names,
                                             path: path, format: format)
                    }
                }
            }
            if perGalaxy.isEmpty { perGalaxy = [(figure.rawValue, draw)] }
            for (k, (name, draw)) in perGalaxy.enumerated() {
                for format in [Canvas.Format.png, .pdf] {
                    let path = "\(folder)/\(name).\(format.rawValue)"
                    try draw(path, format)
                    written.append(path)
                }
                if perGalaxy.count == 1 {
                    log("drew \(folder)/\(name).png and .pdf")
                } else if (k + 1) % 100 == 0 || k + 1 == perGalaxy.count {
                    log("drew \(figure.rawValue) of \(k + 1)/\(perGalaxy.count) galaxies into \(folder)")
                }
            }
        }
        return written
    }

    /// Which galaxies the corner and fit figures draw.
    public enum GalaxyChoice: Sendable, Equatable {
        case row(Int)
        case all
        /// The first n rows (all when there are fewer).
        case first(Int)
    }

    /// An id as a file-name part: letters, digits, '.', '-' and '_' kept, anything else '_'.
    static func fileSafe(_ id: String) -> String {
        String(id.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
    }
}
