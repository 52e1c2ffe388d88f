import Foundation

/// The figures of a run, drawn from plain arrays (DESIGN: plotting takes arrays, not domain
/// types). Each writes one file (PNG or PDF by `format`).
public enum Figures {
    /// One colour per parameter, the same in every figure.
    public static let palette = [Color(0.12, 0.47, 0.71), Color(1.0, 0.50, 0.05), Color(0.17, 0.63, 0.17),
                                 Color(0.84, 0.15, 0.16), Color(0.58, 0.40, 0.74), Color(0.55, 0.34, 0.29),
                                 Color(0.89, 0.47, 0.76), Color(0.50, 0.50, 0.50)]

    /// Training and validation loss (mean −log q per pair) per epoch, the best epoch marked.
    public static func trainingCurve(train: [Double], validation: [Double], bestEpoch: Int, path: String,
                                     format: Canvas.Format) throws {
        let canvas = try Canvas(path: path, width: 420, height: 300, format: format)
        let epochs = (1...max(1, train.count)).map(Double.init)
        // The first epochs are far above the rest: show the range of the last 90 %.
        let tail = Array((train + validation).dropFirst(max(0, train.count / 10)))
        let axes = Axes(left: 62, top: 30, width: 335, height: 220, x: 1...Double(max(2, train.count)),
                        y: Axes.padded(tail.isEmpty ? train + validation : tail))
        func clipped(_ v: [Double]) -> [(Double, Double)] {
            zip(epochs, v).map { axes.point($0, min(max($1, axes.yRange.lowerBound), axes.yRange.upperBound)) }
        }
        canvas.line(clipped(train), color: .npe, width: 1.4)
        canvas.line(clipped(validation), color: .validation, width: 1.4)
        if bestEpoch >= 1 && bestEpoch <= validation.count {
            let (x, y) = axes.point(Double(bestEpoch), validation[bestEpoch - 1])
            canvas.circle(x, y, radius: 3.5, color: .validation)
        }
        axes.draw(on: canvas, xLabel: "epoch", yLabel: "loss (mean −log q per pair)", title: "Training curve")
        legend(canvas, x: axes.left + axes.width - 120, y: axes.top + 14,
               entries: [("training", .npe), ("validation", .validation), ("best epoch \(bestEpoch)", .validation)])
        try canvas.save()
    }

    /// SBC rank histograms per parameter with the 95 % band of a uniform histogram (the
    /// paper's Fig. 5): bins of equal width over ranks 0…S.
    public static func rankHistograms(ranks: [[Int]], samples s: Int, names: [String], bins: Int, path: String,
                                      format: Canvas.Format) throws {
        let d = names.count, n = ranks.count, columns = min(3, d), rows = (d + columns - 1) / columns
        let canvas = try Canvas(path: path, width: 200 * Double(columns) + 40, height: 170 * Double(rows) + 30, format: format)
        let (lower, upper) = BinomialBand.band(n: n, p: 1 / Double(bins))
        for (j, name) in names.enumerated() {
            var counts = [Double](repeating: 0, count: bins)
            for r in ranks { counts[min(bins - 1, r[j] * bins / (s + 1))] += 1 }
            let top = max(counts.max() ?? 1, Double(upper)) * 1.15
            let axes = Axes(left: 50 + 200 * Double(j % columns), top: 25 + 170 * Double(j / columns), width: 160, height: 115,
                            x: 0...Double(s + 1), y: 0...top)
            let width = Double(s + 1) / Double(bins)
            for (b, c) in counts.enumerated() where c > 0 {
                let x0 = Double(b) * width
                canvas.polygon([axes.point(x0, 0), axes.point(x0 + width, 0), axes.point(x0 + width, c), axes.point(x0, c)],
                               color: palette[j % palette.count], alpha: 0.75)
            }
            // The band over the bars, so bins outside it stand out.
            canvas.polygon([axes.point(0, Double(lower)), axes.point(Double(s + 1), Double(lower)),
                            axes.point(Double(s + 1), Double(upper)), axes.point(0, Double(upper))], color: .grey, alpha: 0.35)
            canvas.line([axes.point(0, Double(n) / Double(bins)), axes.point(Double(s + 1), Double(n) / Double(bins))],
                        color: .truth, width: 0.8, dash: [3, 2])
            axes.draw(on: canvas, xLabel: "rank of the truth", yLabel: "galaxies", title: name, fontSize: 8)
        }
        try canvas.save()
    }

    /// Marginal coverage of central intervals per parameter and joint (HPD) coverage against
    /// the nominal level, with the 95 % band of a calibrated estimator on n galaxies.
    public static func coverage(levels: [Double], marginal: [[Double]], joint: [Double], names: [String], galaxies n: Int,
                                path: String, format: Canvas.Format) throws {
        let canvas = try Canvas(path: path, width: 380, height: 340, format: format)
        let axes = Axes(left: 60, top: 30, width: 290, height: 260, x: 0...1, y: 0...1)
        let grid = (0...50).map { Double($0) / 50 }
        let band = grid.map { a -> (Double, Double) in
            let b = BinomialBand.band(n: n, p: min(max(a, 1e-9), 1 - 1e-9))
            return (Double(b.lower) / Double(n), Double(b.upper) / Double(n))
        }
        canvas.polygon(zip(grid, band).map { axes.point($0, $1.0) } + zip(grid, band).reversed().map { axes.point($0, $1.1) },
                       color: .grey, alpha: 0.3)
        canvas.line([axes.point(0, 0), axes.point(1, 1)], color: .truth, width: 0.8, dash: [3, 2])
        for (j, _) in names.enumerated() {
            canvas.line([axes.point(0, 0)] + zip(levels, marginal).map { axes.point($0, $1[j]) } + [axes.point(1, 1)],
                        color: palette[j % palette.count], width: 1.3)
        }
        canvas.line([axes.point(0, 0)] + zip(levels, joint).map { axes.point($0, $1) } + [axes.point(1, 1)],
                    color: .black, width: 1.8)
        axes.draw(on: canvas, xLabel: "credibility level", yLabel: "fraction of truths inside", title: "Coverage (\(n) galaxies)")
        legend(canvas, x: axes.left + 12, y: axes.top + 14,
               entries: names.enumerated().map { ($1, palette[$0 % palette.count]) } + [("joint (HPD)", .black)])
        try canvas.save()
    }

    /// True against recovered medians with 16–84 % error bars per parameter, and beneath each
    /// the paper's χ = (median − truth)/σ against the truth (Fig. 2). Arrays are [galaxy][parameter].
    public static func recovery(truth: [[Double]], p16: [[Double]], p50: [[Double]], p84: [[Double]], names: [String],
                                units: [String], path: String, format: Canvas.Format) throws {
        let d = names.count
        let canvas = try Canvas(path: path, width: 190 * Double(d) + 40, height: 400, format: format)
        for j in 0..<d {
            let t = truth.map { $0[j] }, m = p50.map { $0[j] }, lo = p16.map { $0[j] }, hi = p84.map { $0[j] }
            let range = Axes.padded(t + m)
            let left = 55 + 190 * Double(j)
            let top = Axes(left: left, top: 30, width: 140, height: 180, x: range, y: range)
            canvas.line([top.point(range.lowerBound, range.lowerBound), top.point(range.upperBound, range.upperBound)],
                        color: .truth, width: 0.8, dash: [3, 2])
            for g in t.indices where m[g].isFinite {
                canvas.line([top.point(t[g], lo[g]), top.point(t[g], hi[g])], color: palette[j % palette.count], width: 0.5)
                let (x, y) = top.point(t[g], m[g])
                canvas.circle(x, y, radius: 1.4, color: palette[j % palette.count])
            }
            let unit = units[j].isEmpty ? "" : " [\(units[j])]"
            top.draw(on: canvas, xLabel: "true\(unit)", yLabel: "posterior median", title: names[j], fontSize: 8)
            let chi = t.indices.map { (m[$0] - t[$0]) / ((hi[$0] - lo[$0]) / 2) }
            let chiRange = -4.0...4.0
            let bottom = Axes(left: left, top: 265, width: 140, height: 90, x: range, y: chiRange)
            canvas.line([bottom.point(range.lowerBound, 0), bottom.point(range.upperBound, 0)], color: .truth, width: 0.8, dash: [3, 2])
            for g in t.indices where chi[g].isFinite {
                let (x, y) = bottom.point(t[g], min(max(chi[g], chiRange.lowerBound), chiRange.upperBound))
                canvas.circle(x, y, radius: 1.2, color: palette[j % palette.count], alpha: 0.7)
            }
            bottom.draw(on: canvas, xLabel: "true\(unit)", yLabel: "χ", fontSize: 8)
        }
        try canvas.save()
    }

    /// Example spectra normalised to their median (Fig. 3): L_λ / median(L_λ) against
    /// wavelength; `logFlux` rows are log10 L_λ.
    public static func spectra(wavelength: [Double], logFlux: [[Double]], path: String, format: Canvas.Format) throws {
        let canvas = try Canvas(path: path, width: 480, height: 300, format: format)
        let normalised = logFlux.map { row -> [Double] in
            let median = row.sorted()[row.count / 2]
            return row.map { pow(10, $0 - median) }
        }
        let axes = Axes(left: 60, top: 30, width: 395, height: 220, x: Axes.padded(wavelength, fraction: 0),
                        y: Axes.padded(normalised.flatMap { $0 }))
        for (i, row) in normalised.enumerated() {
            canvas.line(zip(wavelength, row).map { axes.point($0, $1) }, color: palette[i % palette.count], width: 1)
        }
        axes.draw(on: canvas, xLabel: "rest-frame wavelength [Å]", yLabel: "L_λ / median L_λ",
                  title: "Noiseless training spectra (\(logFlux.count) examples)")
        try canvas.save()
    }

    static func legend(_ canvas: Canvas, x: Double, y: Double, entries: [(String, Color)]) {
        for (i, entry) in entries.enumerated() {
            let yy = y + Double(i) * 13
            canvas.line([(x, yy), (x + 16, yy)], color: entry.1, width: 2)
            canvas.text(entry.0, x: x + 21, y: yy, size: 8.5)
        }
    }
}
