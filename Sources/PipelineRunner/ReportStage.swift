import DigsCore
import Diagnostics
import Foundation
import Plotting
import ProductIO

/// `digs report`: one HTML page per pipeline run, `<output>/report/index.html`, that tells an
/// astronomer whether to trust the run — the checks of calibration against their thresholds,
/// the accuracy and calibration tables, NPE against MCMC, the figures (drawn afresh from the
/// products into `report/figures/`), the time and memory of each stage, and the provenance of
/// every product. Plain HTML and CSS with relative image links: it opens from disk without a
/// server. Products of different runs mixed in the folder are refused (`RunConsistency`).
public enum ReportStage {
    /// Writes the report and returns the path of `index.html`.
    @discardableResult
    public static func run(config: PipelineConfig, configPath: String?, galaxy: Int = 0, output: String? = nil,
                           log: (String) -> Void) throws -> String {
        let plan = PipelinePlan(config: config)
        let folder = output ?? ProductFile.report.path(in: plan.folder)
        let exists = { (path: String) in FileManager.default.fileExists(atPath: path) }
        let products = plan.steps.compactMap(\.output).filter(exists)
        guard !products.isEmpty else {
            throw DigsError.fileNotFound(path: ProductFile.sspLibrary.path(in: plan.folder) + " (no products of pipeline '\(config.name)' yet: run `digs run` first)")
        }
        try RunConsistency.check(plan)
        log("products in \(plan.folder) belong to one run")

        let path = { (file: ProductFile) in file.path(in: plan.folder) }
        let paths = (flow: path(.flow), sbc: path(.sbc(set: "test")), posterior: path(.posterior(set: "test")),
                     sed: path(.sed(set: "train")), mcmc: path(.mcmc(set: "test")))
        var figures = [PlotStage.Figure]()
        if exists(paths.flow) { figures.append(.training) }
        if exists(paths.sbc) { figures += [.ranks, .coverage] }
        if exists(paths.posterior) {
            let posterior = try Product.open(paths.posterior, expecting: .posteriorSamples)
            if posterior.file.exists("theta_true") { figures.append(.recovery) }
            if posterior.file.exists("derived/truth") { figures.append(.derivedRecovery) }
            figures += [.corner, .fit]
            if posterior.file.exists("sfh/sfr_percentiles") { figures.append(.sfh) }
        }
        if exists(paths.sed) { figures.append(.spectra) }
        if exists(paths.mcmc) && exists(paths.posterior) { figures.append(.comparison) }
        try FileManager.default.createDirectory(atPath: folder + "/figures", withIntermediateDirectories: true)
        try PlotStage.run(figures: figures, flowPath: paths.flow, sbcPath: paths.sbc, posteriorPath: paths.posterior,
                          sedPath: paths.sed, mcmcPath: paths.mcmc, galaxies: .row(galaxy), folder: folder + "/figures", log: log)

        var page = ReportPage(title: "DIGS run report — \(config.name)")
        page.paragraph("Pipeline <b>\(escapeHTML(config.name))</b>\(configPath.map { " (<code>\(escapeHTML($0))</code>)" } ?? ""), products in <code>\(escapeHTML(plan.folder))</code>, seed \(config.seed). Report written \(Provenance.now()) by digs \(digsVersion).")
        if exists(paths.sbc) { try calibration(sbcPath: paths.sbc, into: &page) }
        if exists(paths.posterior) {
            let posterior = try Product.open(paths.posterior, expecting: .posteriorSamples)
            try qualityFlags(posterior, into: &page)
            try importance(posterior, into: &page)
        }
        if exists(paths.mcmc) && exists(paths.posterior) {
            let result = try CompareStage.run(mcmcPath: paths.mcmc, posteriorPath: paths.posterior)
            page.section("NPE against MCMC on the exact likelihood")
            page.preformatted(result.text)
        }
        let observed = path(.posterior(set: PipelinePlan.observedSet))
        if exists(observed) {
            try observedProblems(Product.open(observed, expecting: .posteriorSamples),
                                 observations: path(.observations(set: PipelinePlan.observedSet)), into: &page)
        }
        let captions: [PlotStage.Figure: String] = [
            .training: "Training and validation loss per epoch; the flow kept is the best validation epoch.",
            .ranks: "SBC rank histograms with the 95 % band of a uniform histogram (paper Fig. 5): bars outside the band are bins a calibrated posterior would rarely produce.",
            .coverage: "Left: rank ECDF minus uniform with its pointwise 95 % band. Right: marginal coverage of central intervals (colours) and joint HPD coverage (black) against the credibility level (paper Fig. 6).",
            .recovery: "True against recovered posterior medians with 68 % intervals, and χ = (median − truth)/σ beneath (paper Fig. 2).",
            .derivedRecovery: "The same for the derived quantities: surviving mass, mass-weighted age, SFR and sSFR over 100 Myr, t50 and t90.",
            .spectra: "Example noiseless training spectra normalised to their median (paper Fig. 3).",
            .corner: "One galaxy's posterior: NPE (blue) and MCMC (orange) 68/95 % highest-density regions, truth marked (paper Fig. 1 left).",
            .fit: "Its observed spectrum with the posterior-predictive median and 68 % band, the MCMC best fit and the residuals (paper Fig. 1 right).",
            .sfh: "Its star-formation history: SFR against lookback time, the posterior median and 68 % band, and the truth (dashed) for a simulated galaxy.",
            .comparison: "Per galaxy and parameter: NPE median offset from the MCMC median in MCMC σ, and the ratio of 68 % widths.",
        ]
        page.section("Figures")
        page.figures(figures.map { ($0.rawValue, captions[$0] ?? "") }, folder: folder)
        page.section("Stages")
        try timings(folder: plan.folder, into: &page)
        page.section("Provenance")
        try provenance(plan: plan, into: &page)
        if let configPath, let text = try? String(contentsOfFile: configPath, encoding: .utf8) {
            page.details("Pipeline file \(configPath)", text)
        }
        let index = folder + "/index.html"
        try writeFileAtomically(Data(page.html.utf8), to: index)
        log("wrote \(index)")
        return index
    }

    /// The checks, and the calibration and accuracy table, from the sbc_result.
    static func calibration(sbcPath: String, into page: inout ReportPage) throws {
        let sbc = try Product.open(sbcPath, expecting: .sbcResult)
        let names = try sbc.file.attribute("parameter_names")?.stringsValue ?? []
        func column(_ name: String) throws -> [Double] { try sbc.dataset(name, dtype: .float64, rank: 1).read(as: Double.self).data }
        let ks = try column("ks_pvalue"), chi2 = try column("chi2_pvalue"), coverage = try column("max_coverage_error")
        let levels = try column("coverage_levels"), joint = try column("coverage_joint")
        let alpha = try column("tarp_alpha"), ecp = try column("tarp_ecp")
        let galaxies = try sbc.dataset("ranks", rank: 2).shape[0]
        let jointError = zip(levels, joint).map { abs($1 - $0) }.max() ?? .nan
        let tarpError = zip(alpha, ecp).map { abs($1 - $0) }.max() ?? .nan
        page.section("Calibration on \(galaxies) test galaxies")
        page.checks([
            ("SBC ranks uniform: KS p-value ≥ 0.01 for every parameter", String(format: "smallest %.3f", ks.min() ?? .nan), (ks.min() ?? 0) >= 0.01),
            ("Marginal coverage: |coverage − level| ≤ 0.05 at every level 0.05…0.95", String(format: "largest %.3f", coverage.max() ?? .nan), (coverage.max() ?? 1) <= 0.05),
            ("Joint (HPD) coverage: |coverage − level| ≤ 0.05", String(format: "largest %.3f", jointError), jointError <= 0.05),
            ("TARP: |expected coverage − level| ≤ 0.05", String(format: "largest %.3f", tarpError), tarpError <= 0.05),
        ])
        let bias = try column("accuracy/bias"), rmse = try column("accuracy/rmse"), r = try column("accuracy/pearson_r")
        let chiMean = try column("accuracy/chi_mean"), chiStd = try column("accuracy/chi_std")
        page.table(header: ["parameter", "KS p", "χ² p", "max coverage error", "bias", "RMSE", "Pearson r", "mean χ", "std χ"],
                   rows: names.indices.map { j in
                       [names[j]] + [ks[j], chi2[j], coverage[j]].map { String(format: "%.3f", $0) }
                           + [bias[j], rmse[j]].map { String(format: "%.4f", $0) }
                           + [r[j], chiMean[j], chiStd[j]].map { String(format: "%.3f", $0) }
                   })
        page.paragraph("Bias and RMSE of the posterior medians are in the parameter's units; χ = (median − truth)/((P84 − P16)/2) has mean 0 and standard deviation 1 for a calibrated Gaussian posterior.")
        if let nltp = try sbc.file.attribute("nltp")?.doublesValue?.first {
            page.paragraph(String(format: "NLTP = mean −log q(θ_true | x) over the test galaxies: %.3f nats. Calibration does not see how wide a posterior is; NLTP does: of two calibrated flows, the one with the lower NLTP is sharper.", nltp))
        }
    }

    /// The run log of `digs run`: stage, status, start, seconds and peak memory.
    static func timings(folder: String, into page: inout ReportPage) throws {
        let path = folder + "/run_log.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            page.paragraph("No run log (<code>run_log.json</code>): the stages were run one by one rather than with <code>digs run</code>.")
            return
        }
        let entries: [RunLogEntry]
        do { entries = try JSONDecoder().decode([RunLogEntry].self, from: data) } catch {
            throw DigsError.unreadableFile(path: path, reason: "not a run log (a JSON list of {stage, status, started, seconds, peakMemoryMB}): \(error)")
        }
        page.table(header: ["stage", "status", "started (UTC)", "wall time [s]", "peak memory [MB]"],
                   rows: entries.map { [$0.stage, $0.status.rawValue, $0.started, String(format: "%.1f", $0.seconds),
                                        $0.peakMemoryMB.map { String(format: "%.0f", $0) } ?? "—"] })
        let total = entries.map(\.seconds).reduce(0, +)
        page.paragraph(String(format: "Total %.1f s (%.1f min) over the stages as last run.", total, total / 60))
    }

    /// How many galaxies carry each quality flag, with what it means and when it is a problem:
    /// a flag on more than 5 % of the galaxies is marked, since then it is the set, not a few
    /// galaxies, that the model or the flow does not describe (e.g. a prior-edge pile-up).
    static func qualityFlags(_ product: Product, into page: inout ReportPage) throws {
        let flags = try product.dataset("flags", rank: 1).read(as: UInt8.self).data
        guard !flags.isEmpty else { return }
        let meanings: [(PosteriorFlags, String)] = [
            (.outOfDistribution, "out of distribution: the predictive χ² is implausible for the noise model"),
            (.invalidInput, "invalid input: refused by the flow (NaN, σ ≤ 0, masks or noise it was not trained for)"),
            (.medianAtPriorEdge, "a posterior median within 1 % of a prior edge: the prior may cut the posterior"),
            (.unreliableFlow, "unreliable flow: the importance weights fail the Pareto-k̂ check"),
        ]
        page.section("Quality flags")
        page.table(header: ["flag", "meaning", "galaxies", "fraction", ""], rows: meanings.map { flag, meaning in
            let count = flags.filter { PosteriorFlags(rawValue: $0).contains(flag) }.count
            let fraction = Double(count) / Double(flags.count)
            return ["\(flag.rawValue)", meaning, "\(count) of \(flags.count)", String(format: "%.1f %%", 100 * fraction),
                    fraction > 0.05 ? "problem: more than 5 % of the galaxies" : ""]
        })
    }

    /// Real targets (the observed set): how many carry each flag, and each object with a problem
    /// by its id with the problem in words (the catalog's PROBLEM column), the first
    /// `listed` of them, then the objects that could not be ingested with their reasons.
    static func observedProblems(_ product: Product, observations: String, listed: Int = 50, into page: inout ReportPage) throws {
        let problems = try PosteriorProblems(product)
        let flags = try problems.flags.read(as: UInt8.self).data
        let ids = try ObservationIDs.read(product)
        var rejected: [(id: String, reason: String)] = []
        if FileManager.default.fileExists(atPath: observations) {
            let o = try Product.open(observations, expecting: .observationSet)
            if o.file.exists("rejected/id") {
                rejected = zip(try o.dataset("rejected/id", rank: 1).readStrings(), try o.dataset("rejected/reason", rank: 1).readStrings())
                    .map { ($0, $1) }
            }
        }
        let flagged = flags.indices.filter { flags[$0] != 0 }
        page.section("Real targets: problems")
        page.paragraph("\(flags.count) objects of the observed set have a posterior; \(flagged.count) of them carry a quality flag, and \(rejected.count) could not be ingested. Each problem is in the catalog's PROBLEM column too.")
        var rows = [[String]]()
        for g in flagged.prefix(listed) {
            rows.append([ids.text(at: g), "\(flags[g])", try problems.texts(g..<(g + 1))[0]])
        }
        for object in rejected.prefix(max(0, listed - rows.count)) { rows.append([object.id, "16", "not ingested: " + object.reason]) }
        if !rows.isEmpty { page.table(header: ["object", "flags", "problem"], rows: rows) }
        let unlisted = flagged.count + rejected.count - rows.count
        if unlisted > 0 { page.paragraph("\(unlisted) more objects with problems are not listed here; the catalog lists all.") }
    }

    /// The flow against the exact posterior, galaxy by galaxy, from the importance weights of its
    /// samples (no truth needed).
    static func importance(_ product: Product, into page: inout ReportPage) throws {
        guard product.file.exists("importance/ess_fraction") else { return }
        let ess = try product.dataset("importance/ess_fraction", rank: 1).read(as: Double.self).data.filter(\.isFinite).sorted()
        let k = try product.dataset("importance/pareto_k", rank: 1).read(as: Double.self).data.filter { !$0.isNaN }
        let threshold = try product.file.attribute("pareto_k_threshold")?.doublesValue?.first ?? 0.7
        let draws = try product.file.attribute("importance_samples")?.intValue ?? 0
        guard !ess.isEmpty else { return }
        page.section("The flow against the exact posterior (importance weights)")
        let unreliable = k.filter { $0 > threshold }.count
        page.paragraph(String(format: "For each galaxy the first %d posterior samples are weighed by the exact posterior, w = p(x | θ) p(θ) / q(θ | x). Effective sample size over samples: median %.3f, 10th percentile %.3f (1 = the flow is the exact posterior). Pareto k̂ above %.2f, where the flow misses mass of the exact posterior (flag 8): %d of %d galaxies (%.0f %%).",
                              Int(draws), SampleSummary.percentile(sorted: ess, 50), SampleSummary.percentile(sorted: ess, 10), threshold,
                              unreliable, k.count, 100 * Double(unreliable) / Double(max(k.count, 1))))
    }

    /// One row per product: file, kind and schema, creation, seed, content digest and inputs.
    static func provenance(plan: PipelinePlan, into page: inout ReportPage) throws {
        var rows = [[String]]()
        for step in plan.steps {
            guard let output = step.output, FileManager.default.fileExists(atPath: output) else { continue }
            let name = (output as NSString).lastPathComponent
            let size = String(format: "%.1f", Double((try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0) / 1e6)
            if output.hasSuffix(".h5") {
                let p = try Product.open(output).provenance
                // Every value read from a file is escaped: a product's attributes are anyone's text.
                let inputs = p.inputs.map { escapeHTML("\(($0.path as NSString).lastPathComponent) (\(short($0.contentDigest)))") }.joined(separator: "<br>")
                rows.append([step.name, "<code>\(escapeHTML(name))</code>", "\(p.kind.rawValue) \(p.schemaVersion)", escapeHTML(p.created), "\(p.seed)",
                             "<code title=\"\(escapeHTML(p.contentDigest))\">\(escapeHTML(short(p.contentDigest)))</code>", inputs.isEmpty ? "—" : inputs, size])
            } else {
                let digest = try PipelinePlan.digest(of: output)
                rows.append([step.name, "<code>\(escapeHTML(name))</code>", "FITS catalog", "—", "—",
                             "<code title=\"\(digest)\">\(short(digest))</code> (file SHA-256)",
                             step.inputs.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "), size])
            }
        }
        page.table(header: ["stage", "file", "kind, schema", "created (UTC)", "seed", "content digest", "inputs (their digests)", "size [MB]"],
                   rows: rows, escape: false)
        page.paragraph("Every product records the content digest of each input it was made from; the report checked that these match the products on disk, so all of them come from one run.")
    }

    static func short(_ digest: String) -> String { String(digest.prefix(19)) }
}

/// Escapes text for HTML.
func escapeHTML(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

/// A self-contained HTML page built section by section (inline CSS; images by relative path).
struct ReportPage {
    private var body = [String]()
    let title: String

    init(title: String) { self.title = title }

    mutating func section(_ heading: String) { body.append("<h2>\(escapeHTML(heading))</h2>") }
    /// Trusted HTML (the caller escapes what it interpolates).
    mutating func paragraph(_ content: String) { body.append("<p>\(content)</p>") }
    mutating func preformatted(_ text: String) { body.append("<pre>\(escapeHTML(text))</pre>") }
    mutating func details(_ summary: String, _ text: String) {
        body.append("<details><summary>\(escapeHTML(summary))</summary><pre>\(escapeHTML(text))</pre></details>")
    }

    mutating func checks(_ items: [(String, String, Bool)]) {
        let failed = items.filter { !$0.2 }.count
        body.append(failed == 0
            ? "<p class=\"pass\"><span class=\"mark\">All \(items.count) calibration checks pass</span>: the posteriors' credible intervals can be taken at their stated level.</p>"
            : "<p class=\"fail\"><span class=\"mark\">\(failed) of \(items.count) calibration checks fail</span>: treat the posteriors' widths with caution (see the figures below).</p>")
        body.append("<ul class=\"checks\">" + items.map { name, value, pass in
            "<li class=\"\(pass ? "pass" : "fail")\"><span class=\"mark\">\(pass ? "✓" : "✗")</span> \(escapeHTML(name)): <b>\(escapeHTML(value))</b></li>"
        }.joined() + "</ul>")
    }

    mutating func table(header: [String], rows: [[String]], escape: Bool = true) {
        let head = "<tr>" + header.map { "<th>\(escapeHTML($0))</th>" }.joined() + "</tr>"
        let cells = rows.map { "<tr>" + $0.map { "<td>\(escape ? escapeHTML($0) : $0)</td>" }.joined() + "</tr>" }
        body.append("<table>\(head)\(cells.joined())</table>")
    }

    /// Figures by name: `<folder>/figures/<name>.png`, shown at their size in points (the PNGs
    /// have 2 pixels per point) and linked to the PDF.
    mutating func figures(_ items: [(String, String)], folder: String) {
        body.append("<div class=\"figures\">" + items.map { name, caption in
            let width = Self.pngWidth(folder + "/figures/\(name).png").map { " width=\"\($0 / 2)\"" } ?? ""
            return "<figure><a href=\"figures/\(name).pdf\"><img src=\"figures/\(name).png\"\(width) alt=\"\(escapeHTML(name)) figure\"></a><figcaption><b>\(escapeHTML(name))</b> — \(escapeHTML(caption)) <a href=\"figures/\(name).pdf\">PDF</a></figcaption></figure>"
        }.joined() + "</div>")
    }

    /// Width in pixels from a PNG's IHDR chunk (bytes 16–19, big-endian), or nil.
    static func pngWidth(_ path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path), let header = try? handle.read(upToCount: 24),
              header.count == 24, header.starts(with: [0x89, 0x50, 0x4E, 0x47]) else { return nil }
        return header[16..<20].reduce(0) { $0 << 8 | Int($1) }
    }

    var html: String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(escapeHTML(title))</title>
        <style>
        body { font-family: "DejaVu Sans", sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
        h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; margin-top: 2em; }
        table { border-collapse: collapse; font-size: 0.85em; margin: 0.8em 0; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
        th { background: #f2f2f2; }
        pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
        .checks { list-style: none; padding: 0; } .checks li { margin: 0.3em 0; }
        .pass .mark { color: #1a7f37; font-weight: bold; } .fail .mark { color: #c62828; font-weight: bold; }
        .figures { display: flex; flex-wrap: wrap; gap: 1.2em; }
        figure { margin: 0; max-width: 100%; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption { font-size: 0.85em; max-width: 740px; }
        .missing { color: #c62828; font-weight: bold; }
        </style>
        </head>
        <body>
        <h1>\(escapeHTML(title))</h1>
        \(body.joined(separator: "\n"))
        <script>
        // Marks figures that failed to load, and records the count on <body> for checks.
        window.addEventListener("load", function () {
          var images = document.querySelectorAll("img"), missing = 0;
          images.forEach(function (img) {
            if (!img.complete || img.naturalWidth === 0) {
              missing += 1;
              var note = document.createElement("p");
              note.className = "missing";
              note.textContent = "figure " + img.getAttribute("src") + " did not load";
              img.replaceWith(note);
            }
          });
          document.body.setAttribute("data-images", (images.length - missing) + " of " + images.length + " loaded");
        });
        </script>
        </body>
        </html>

        """
    }
}
