import Foundation

/// The figures of a run, drawn from plain arrays (plotting takes arrays, not domain
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

    /// The paper's Fig. 6: left, the ECDF of the fractional SBC ranks minus the uniform CDF per
    /// parameter with the pointwise 95 % band of a calibrated estimator (Binomial(n, z) / n − z);
    /// right, marginal coverage of central intervals per parameter and joint (HPD) coverage
    /// against the nominal level with the same band. `ranks` are [galaxy][parameter] in 0…S.
    public static func coverage(levels: [Double], marginal: [[Double]], joint: [Double], ranks: [[Int]], samples s: Int,
                                names: [String], path: String, format: Canvas.Format) throws {
        let n = ranks.count
        let canvas = try Canvas(path: path, width: 740, height: 340, format: format)
        let grid = (0...100).map { Double($0) / 100 }
        let band = grid.map { a -> (Double, Double) in
            let b = BinomialBand.band(n: n, p: min(max(a, 1e-9), 1 - 1e-9))
            return (Double(b.lower) / Double(n), Double(b.upper) / Double(n))
        }
        // ECDF − uniform.
        let ecdf = ECDFDifference(ranks: ranks, samples: s, grid: grid)
        let halfWidth = zip(grid, band).map { max($1.1 - $0, $0 - $1.0) }.max() ?? 0.05
        let spread = max(halfWidth, ecdf.flatMap { $0 }.map(abs).max() ?? 0) * 1.15
        let left = Axes(left: 60, top: 30, width: 290, height: 260, x: 0...1, y: -spread...spread)
        canvas.polygon(zip(grid, band).map { left.point($0, $1.0 - $0) } + zip(grid, band).reversed().map { left.point($0, $1.1 - $0) },
                       color: .grey, alpha: 0.3)
        canvas.line([left.point(0, 0), left.point(1, 0)], color: .truth, width: 0.8, dash: [3, 2])
        for (j, curve) in ecdf.enumerated() {
            canvas.line(zip(grid, curve).map { left.point($0, $1) }, color: palette[j % palette.count], width: 1.3)
        }
        left.draw(on: canvas, xLabel: "fractional rank of the truth", yLabel: "ECDF − uniform",
                  title: "SBC rank ECDF (\(n) galaxies, 95 % band)")
        // Coverage.
        let right = Axes(left: 425, top: 30, width: 290, height: 260, x: 0...1, y: 0...1)
        canvas.polygon(zip(grid, band).map { right.point($0, $1.0) } + zip(grid, band).reversed().map { right.point($0, $1.1) },
                       color: .grey, alpha: 0.3)
        canvas.line([right.point(0, 0), right.point(1, 1)], color: .truth, width: 0.8, dash: [3, 2])
        for (j, _) in names.enumerated() {
            canvas.line([right.point(0, 0)] + zip(levels, marginal).map { right.point($0, $1[j]) } + [right.point(1, 1)],
                        color: palette[j % palette.count], width: 1.3)
        }
        canvas.line([right.point(0, 0)] + zip(levels, joint).map { right.point($0, $1) } + [right.point(1, 1)],
                    color: .black, width: 1.8)
        right.draw(on: canvas, xLabel: "credibility level", yLabel: "fraction of truths inside", title: "Coverage (\(n) galaxies)")
        legend(canvas, x: right.left + 12, y: right.top + 14,
               entries: names.enumerated().map { ($1, palette[$0 % palette.count]) } + [("joint (HPD)", .black)])
        try canvas.save()
    }

    /// ECDF of the fractional ranks (r + ½)/(S + 1) minus the uniform CDF, per parameter, at
    /// each point of `grid`: [parameter][grid point].
    public static func ECDFDifference(ranks: [[Int]], samples s: Int, grid: [Double]) -> [[Double]] {
        guard let d = ranks.first?.count else { return [] }
        return (0..<d).map { j in
            let u = ranks.map { (Double($0[j]) + 0.5) / Double(s + 1) }.sorted()
            var k = 0
            return grid.map { z in
                while k < u.count && u[k] <= z { k += 1 }
                return Double(k) / Double(u.count) - z
            }
        }
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

    /// One galaxy's posterior: 1-D marginals on the diagonal and the 68 % / 95 % highest-density
    /// regions of every pair below it, NPE in blue and MCMC (when given) in orange, the truth
    /// (when known) marked (the paper's Fig. 1, left). Samples are [sample][parameter].
    public static func corner(npe: [[Double]], mcmc: [[Double]]?, truth: [Double]?, names: [String], path: String,
                              format: Canvas.Format) throws {
        let d = names.count, panel = 96.0, gap = 8.0, margin = 60.0
        let canvas = try Canvas(path: path, width: margin + Double(d) * (panel + gap) + 10,
                                height: 20 + Double(d) * (panel + gap) + margin, format: format)
        let all = npe + (mcmc ?? [])
        let ranges = (0..<d).map { j in Axes.padded(all.map { $0[j] } + (truth.map { [$0[j]] } ?? []), fraction: 0.08) }
        let sets: [([[Double]], Color)] = [(npe, .npe)] + (mcmc.map { [($0, Color.mcmc)] } ?? [])
        for row in 0..<d {
            for column in 0...row {
                let left = margin + Double(column) * (panel + gap), top = 20 + Double(row) * (panel + gap)
                if row == column {
                    let bins = 30
                    var peak = 1.0
                    var histograms = [[Double]]()
                    for (samples, _) in sets {
                        var h = [Double](repeating: 0, count: bins)
                        for v in samples.map({ $0[row] }) where ranges[row].contains(v) {
                            h[min(bins - 1, Int((v - ranges[row].lowerBound) / (ranges[row].upperBound - ranges[row].lowerBound) * Double(bins)))] += 1
                        }
                        let total = max(1, h.reduce(0, +))
                        h = h.map { $0 / total }
                        peak = max(peak == 1 ? 0 : peak, h.max() ?? 0)
                        histograms.append(h)
                    }
                    let axes = Axes(left: left, top: top, width: panel, height: panel, x: ranges[row], y: 0...(peak * 1.1))
                    let width = (ranges[row].upperBound - ranges[row].lowerBound) / Double(bins)
                    for (h, set) in zip(histograms, sets) {
                        var points = [(Double, Double)]()
                        for (b, v) in h.enumerated() {
                            let x0 = ranges[row].lowerBound + Double(b) * width
                            points += [axes.point(x0, v), axes.point(x0 + width, v)]
                        }
                        canvas.line(points, color: set.1, width: 1.2)
                    }
                    if let truth { canvas.line([axes.point(truth[row], 0), axes.point(truth[row], peak * 1.1)], color: .truth, width: 1) }
                    drawFrame(axes, canvas, xLabel: row == d - 1 ? names[column] : nil, yLabel: nil)
                } else {
                    let axes = Axes(left: left, top: top, width: panel, height: panel, x: ranges[column], y: ranges[row])
                    let bins = 28
                    for (samples, color) in sets {
                        let counts = CredibleRegions.histogram(x: samples.map { $0[column] }, y: samples.map { $0[row] },
                                                               xRange: ranges[column], yRange: ranges[row], bins: bins, bins)
                        let limits = CredibleRegions.thresholds(counts, levels: [0.95, 0.68])
                        let cw = (ranges[column].upperBound - ranges[column].lowerBound) / Double(bins)
                        let ch = (ranges[row].upperBound - ranges[row].lowerBound) / Double(bins)
                        for (limit, alpha) in zip(limits, [0.25, 0.45]) {
                            for (j, cells) in counts.enumerated() {
                                for (i, c) in cells.enumerated() where c >= limit {
                                    let x0 = ranges[column].lowerBound + Double(i) * cw, y0 = ranges[row].lowerBound + Double(j) * ch
                                    canvas.polygon([axes.point(x0, y0), axes.point(x0 + cw, y0), axes.point(x0 + cw, y0 + ch),
                                                    axes.point(x0, y0 + ch)], color: color, alpha: alpha)
                                }
                            }
                        }
                    }
                    if let truth {
                        let (x, y) = axes.point(truth[column], truth[row])
                        canvas.line([(x - 4, y), (x + 4, y)], color: .truth, width: 1.2)
                        canvas.line([(x, y - 4), (x, y + 4)], color: .truth, width: 1.2)
                    }
                    drawFrame(axes, canvas, xLabel: row == d - 1 ? names[column] : nil, yLabel: column == 0 ? names[row] : nil)
                }
            }
        }
        legend(canvas, x: margin + Double(d) * (panel + gap) - 150, y: 30,
               entries: [("NPE (68 %, 95 %)", .npe)] + (mcmc == nil ? [] : [("MCMC (68 %, 95 %)", .mcmc)])
                   + (truth == nil ? [] : [("truth", .truth)]))
        try canvas.save()
    }

    /// Frame with tick labels only on the outer panels of a grid.
    static func drawFrame(_ axes: Axes, _ canvas: Canvas, xLabel: String?, yLabel: String?) {
        canvas.line([(axes.left, axes.top), (axes.left + axes.width, axes.top), (axes.left + axes.width, axes.top + axes.height),
                     (axes.left, axes.top + axes.height), (axes.left, axes.top)], color: .black, width: 0.7)
        if let xLabel {
            for x in Axes.ticks(axes.xRange, target: 3) {
                let (px, py) = axes.point(x, axes.yRange.lowerBound)
                canvas.line([(px, py), (px, py - 3)], color: .black, width: 0.7)
                canvas.text(Axes.format(x), x: px, y: py + 8, size: 7, align: 0.5)
            }
            canvas.text(xLabel, x: axes.left + axes.width / 2, y: axes.top + axes.height + 22, size: 8.5, align: 0.5)
        }
        if let yLabel {
            for y in Axes.ticks(axes.yRange, target: 3) {
                let (px, py) = axes.point(axes.xRange.lowerBound, y)
                canvas.line([(px, py), (px + 3, py)], color: .black, width: 0.7)
                canvas.text(Axes.format(y), x: px - 3, y: py, size: 7, align: 1)
            }
            canvas.text(yLabel, x: axes.left - 38, y: axes.top + axes.height / 2, size: 8.5, align: 0.5, rotate: -.pi / 2)
        }
    }

    /// The observed spectrum with the posterior-predictive median and 68 % band and (when given)
    /// the MCMC best fit, and the percentage residuals with the noise's ±1σ beneath (Fig. 1,
    /// right). Spectra are log10 L_λ.
    public static func spectrumFit(wavelength: [Double], observed: [Double], median: [Double], p16: [Double], p84: [Double],
                                   sigma: [Double], bestFit: [Double]? = nil, title: String, path: String,
                                   format: Canvas.Format) throws {
        let canvas = try Canvas(path: path, width: 520, height: 380, format: format)
        let finite = observed.filter(\.isFinite).sorted()
        let scale = finite.isEmpty ? 0 : finite[finite.count / 2]
        func linear(_ v: [Double]) -> [Double] { v.map { pow(10, $0 - scale) } }
        let (obs, med, lo, hi) = (linear(observed), linear(median), linear(p16), linear(p84))
        let top = Axes(left: 65, top: 30, width: 430, height: 200, x: Axes.padded(wavelength, fraction: 0), y: Axes.padded(obs + lo + hi))
        canvas.band(lower: zip(wavelength, lo).map { top.point($0, $1) }, upper: zip(wavelength, hi).map { top.point($0, $1) },
                    color: .npe, alpha: 0.3)
        canvas.line(zip(wavelength, obs).map { top.point($0, $1) }, color: .black, width: 1)
        canvas.line(zip(wavelength, med).map { top.point($0, $1) }, color: .npe, width: 1.3)
        let best = bestFit.map(linear)
        if let best { canvas.line(zip(wavelength, best).map { top.point($0, $1) }, color: .mcmc, width: 1, dash: [4, 2]) }
        top.draw(on: canvas, xLabel: "", yLabel: "L_λ / median (observed)", title: title)
        legend(canvas, x: top.left + top.width - 170, y: top.top + 14,
               entries: [("observed", .black), ("predictive median, 68 %", .npe)] + (best == nil ? [] : [("MCMC best fit", .mcmc)]))
        let residual = zip(obs, med).map { 100 * ($0 / $1 - 1) }
        let noise = sigma.map { 100 * (pow(10, $0) - 1) }
        // Masked pixels (NaN) are gaps: they neither set the limits nor join the lines.
        let limit = max(3 * (noise.filter(\.isFinite).max() ?? 1), residual.filter(\.isFinite).map(abs).max() ?? 1, 1e-3) * 1.1
        let bottom = Axes(left: 65, top: 265, width: 430, height: 80, x: top.xRange, y: -limit...limit)
        canvas.band(lower: zip(wavelength, noise).map { bottom.point($0, -$1) }, upper: zip(wavelength, noise).map { bottom.point($0, $1) },
                    color: .grey, alpha: 0.3)
        canvas.line([bottom.point(top.xRange.lowerBound, 0), bottom.point(top.xRange.upperBound, 0)], color: .truth, width: 0.8, dash: [3, 2])
        canvas.line(zip(wavelength, residual).map { bottom.point($0, $1) }, color: .black, width: 0.9)
        if let best {
            let clip = { (v: Double) in min(max(v, -limit), limit) }
            canvas.line(zip(wavelength, zip(obs, best)).map { bottom.point($0, clip(100 * ($1.0 / $1.1 - 1))) }, color: .mcmc, width: 0.7)
        }
        bottom.draw(on: canvas, xLabel: "rest-frame wavelength [Å]", yLabel: "residual [%]")
        try canvas.save()
    }

    /// NPE against MCMC on the same galaxies: per parameter, each galaxy's offset of the NPE
    /// median from the MCMC median in MCMC σ (left) and the ratio of 68 % widths NPE/MCMC on a
    /// log scale (right); `offsets` and `widthRatios` are [parameter][galaxy].
    public static func comparison(names: [String], offsets: [[Double]], widthRatios: [[Double]], subtitle: String,
                                  path: String, format: Canvas.Format) throws {
        let d = names.count, rowHeight = 22.0
        let canvas = try Canvas(path: path, width: 560, height: 95 + rowHeight * Double(d), format: format)
        let height = rowHeight * Double(d)
        let limit = max(1, (offsets.flatMap { $0 }.filter(\.isFinite).map(abs).max() ?? 1) * 1.15)
        let logRatios = widthRatios.flatMap { $0 }.filter { $0 > 0 && $0.isFinite }.map(log10)
        let ratioLimit = max(log10(2), (logRatios.map(abs).max() ?? 0) * 1.15)
        let panels = [Axes(left: 110, top: 40, width: 190, height: height, x: -limit...limit, y: 0...Double(d)),
                      Axes(left: 345, top: 40, width: 190, height: height, x: -ratioLimit...ratioLimit, y: 0...Double(d))]
        for (k, axes) in panels.enumerated() {
            canvas.line([axes.point(0, 0), axes.point(0, Double(d))], color: .truth, width: 0.8, dash: [3, 2])
            for j in 0..<d {
                let y = Double(d - j) - 0.5
                let values = k == 0 ? offsets[j] : widthRatios[j].map { $0 > 0 ? log10($0) : .nan }
                for v in values where v.isFinite {
                    let (px, py) = axes.point(v, y)
                    canvas.circle(px, py, radius: 2.6, color: palette[j % palette.count], alpha: 0.8)
                }
            }
            drawFrame(axes, canvas, xLabel: nil, yLabel: nil)
            let ticks = k == 0 ? Axes.ticks(axes.xRange, target: 4) : [0.5, 0.67, 1, 1.5, 2, 3, 5].map(log10).filter { axes.xRange.contains($0) }
            for x in ticks {
                let (px, py) = axes.point(x, 0)
                canvas.line([(px, py), (px, py - 3)], color: .black, width: 0.7)
                canvas.text(k == 0 ? Axes.format(x) : Axes.format((pow(10, x) * 100).rounded() / 100), x: px, y: py + 8, size: 8, align: 0.5)
            }
            canvas.text(k == 0 ? "(median NPE − median MCMC) / σ MCMC" : "68 % width NPE / MCMC",
                        x: axes.left + axes.width / 2, y: axes.top + height + 24, size: 9, align: 0.5)
        }
        for (j, name) in names.enumerated() {
            let (_, py) = panels[0].point(0, Double(d - j) - 0.5)
            canvas.text(name, x: panels[0].left - 6, y: py, size: 9, align: 1)
        }
        canvas.text("NPE vs MCMC (\(offsets.first?.count ?? 0) galaxies)", x: 280, y: 14, size: 10, align: 0.5)
        canvas.text(subtitle, x: 280, y: 28, size: 8, align: 0.5, color: .truth)
        try canvas.save()
    }

    /// One galaxy's star-formation history: log SFR against log lookback time, the posterior
    /// median and its 68 % band, and the truth (dashed) for a simulated galaxy. The axis reaches
    /// half a dex below the lowest SFR drawn, at most 5 dex below the highest; SFR of 0 (before a
    /// history began) and anything lower are drawn at the floor.
    public static func starFormationHistory(lookbackGyr: [Double], p16: [Double], p50: [Double], p84: [Double], truth: [Double]?,
                                            title: String, path: String, format: Canvas.Format) throws {
        let canvas = try Canvas(path: path, width: 520, height: 360, format: format)
        let x = lookbackGyr.map { log10($0 * 1e9) }
        let positive = (p16 + p84 + p50 + (truth ?? [])).filter { $0.isFinite && $0 > 0 }
        let ceiling = log10(positive.max() ?? 1) + 0.3, floor = max(ceiling - 5.3, log10(positive.min() ?? 1e-5) - 0.5)
        func y(_ v: [Double]) -> [Double] { v.map { $0.isFinite && $0 > 0 ? max(log10($0), floor) : floor } }
        let axes = Axes(left: 65, top: 30, width: 430, height: 280, x: (x.first ?? 6)...(x.last ?? 10.2), y: floor...ceiling)
        canvas.band(lower: zip(x, y(p16)).map { axes.point($0, $1) }, upper: zip(x, y(p84)).map { axes.point($0, $1) }, color: .npe, alpha: 0.3)
        canvas.line(zip(x, y(p50)).map { axes.point($0, $1) }, color: .npe, width: 1.6)
        if let truth { canvas.line(zip(x, y(truth)).map { axes.point($0, $1) }, color: .truth, width: 1.2, dash: [4, 2]) }
        axes.draw(on: canvas, xLabel: "log10 lookback time [yr]", yLabel: "log10 SFR [M☉/yr]", title: title)
        legend(canvas, x: axes.left + 14, y: axes.top + 14,
               entries: [("posterior median, 68 %", .npe)] + (truth == nil ? [] : [("truth", .truth)]))
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
