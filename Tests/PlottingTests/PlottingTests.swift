import CCairo
import DigsCore
import Foundation
import Plotting
import Testing

@Suite("Plot geometry, bands and rendering")
struct PlottingTests {
    @Test("data corners map to the panel corners, y up")
    func transform() {
        let a = Axes(left: 10, top: 20, width: 200, height: 100, x: -1...3, y: 5...10)
        #expect(a.point(-1, 5) == (10, 120))
        #expect(a.point(3, 10) == (210, 20))
        #expect(a.point(1, 7.5) == (110, 70))
    }

    @Test("ticks are 1, 2 or 5 × 10^k apart and inside the range")
    func ticks() {
        #expect(Axes.ticks(0...1) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(Axes.ticks(8...13) == [8, 9, 10, 11, 12, 13])
        #expect(Axes.ticks(-9.5...(-3)) == [-8, -6, -4])
        #expect(Axes.ticks(0...1000) == [0, 200, 400, 600, 800, 1000])
        #expect(Axes.ticks(0.0004...0.0021) == [0.0005, 0.001, 0.0015, 0.002])
    }

    @Test("histogram bands are scipy's binom.ppf quantiles")
    func binomialBand() {
        // scipy.stats.binom.ppf([0.025, 0.975]) and ([0.005, 0.995]) for these (n, p).
        for (n, p, b95, b99) in [(1000, 0.05, (37, 64), (33, 69)), (500, 0.05, (16, 35), (13, 38)), (60, 0.1, (2, 11), (1, 13))] {
            let band95 = BinomialBand.band(n: n, p: p), band99 = BinomialBand.band(n: n, p: p, level: 0.99)
            #expect(band95.lower == b95.0 && band95.upper == b95.1)
            #expect(band99.lower == b99.0 && band99.upper == b99.1)
        }
    }

    @Test("rank ECDF minus uniform: zero for evenly spread ranks, the closed form for ranks all at 0")
    func ecdfDifference() {
        // Ranks 0…9 once each with S = 9: fractional ranks 0.05, 0.15, …, 0.95.
        let even = (0...9).map { [$0, 0] }
        let grid = [0.0, 0.1, 0.5, 0.9, 1.0]
        let curves = Figures.ECDFDifference(ranks: even, samples: 9, grid: grid)
        for (z, v) in zip(grid, curves[0]) { #expect(abs(v) < 1e-12, "z = \(z)") }
        // Second parameter: every rank 0, ECDF jumps to 1 at 0.05, so the difference is 1 − z after it.
        for (z, v) in zip(grid, curves[1]) { #expect(abs(v - (z >= 0.05 ? 1 - z : -z)) < 1e-12, "z = \(z)") }
    }

    func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("digs-plot-\(getpid())-\(name)").path
    }

    @Test("figures render as PNG of the requested size, not blank, and as PDF")
    func rendering() throws {
        let png = temporary("curve.png"), pdf = temporary("ranks.pdf"), coverage = temporary("coverage.png")
        defer { for p in [png, pdf, coverage] { try? FileManager.default.removeItem(atPath: p) } }
        let train = (1...40).map { -9 + 5 * exp(-Double($0) / 6) }, validation = train.map { $0 + 0.1 }
        try Figures.trainingCurve(train: train, validation: validation, bestEpoch: 38, path: png, format: .png)
        let image = cairo_image_surface_create_from_png(png)
        defer { cairo_surface_destroy(image) }
        #expect(cairo_surface_status(image) == CAIRO_STATUS_SUCCESS)
        #expect(cairo_image_surface_get_width(image) == 840 && cairo_image_surface_get_height(image) == 600)
        // Not blank: many distinct pixel values, and far from all white.
        let stride = Int(cairo_image_surface_get_stride(image)), height = Int(cairo_image_surface_get_height(image))
        let data = cairo_image_surface_get_data(image)!
        var distinct = Set<UInt32>(), dark = 0
        for row in 0..<height {
            let pixels = UnsafeRawPointer(data + row * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<840 {
                distinct.insert(pixels[x])
                if pixels[x] & 0xFF < 0x80 { dark += 1 }
            }
        }
        #expect(distinct.count > 20 && dark > 2000)

        var g = Xoshiro256StarStar(seed: 1)
        let ranks = (0..<500).map { _ in (0..<3).map { _ in Int(g.next() % 101) } }
        try Figures.rankHistograms(ranks: ranks, samples: 100, names: ["a", "b", "c"], bins: 20, path: pdf, format: .pdf)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: pdf))
        #expect(bytes.starts(with: Array("%PDF".utf8)) && bytes.count > 2000)
        try Figures.coverage(levels: [0.25, 0.5, 0.75], marginal: [[0.2, 0.3], [0.5, 0.5], [0.8, 0.7]], joint: [0.26, 0.5, 0.74],
                             ranks: ranks.map { Array($0.prefix(2)) }, samples: 100, names: ["a", "b"], path: coverage, format: .png)
        #expect(FileManager.default.fileExists(atPath: coverage))
        #expect(!FileManager.default.fileExists(atPath: coverage + ".tmp-\(getpid())"))
    }
}
