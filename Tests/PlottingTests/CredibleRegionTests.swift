import DigsCore
import Foundation
import Plotting
import Testing

@Suite("Credible regions of the corner plot")
struct CredibleRegionTests {
    /// For a 2-D standard normal the α highest-density region is the disc of radius
    /// √(−2 ln(1 − α)), of area −2π ln(1 − α): the grid regions must hold α of the samples
    /// and have about that area.
    @Test("68 % and 95 % regions of a Gaussian hold those fractions and have the analytic areas")
    func gaussian() {
        var g = Xoshiro256StarStar(seed: 3)
        let n = 200_000
        let x = (0..<n).map { _ in g.nextNormal() }, y = (0..<n).map { _ in g.nextNormal() }
        let bins = 60, range = -4.0...4.0, cellArea = pow(8.0 / Double(bins), 2)
        let counts = CredibleRegions.histogram(x: x, y: y, xRange: range, yRange: range, bins: bins, bins)
        let total = Double(counts.flatMap { $0 }.reduce(0, +))
        for (level, threshold) in zip([0.68, 0.95], CredibleRegions.thresholds(counts, levels: [0.68, 0.95])) {
            let inside = counts.flatMap { $0 }.filter { $0 >= threshold }
            let fraction = Double(inside.reduce(0, +)) / total
            #expect(abs(fraction - level) < 0.01, "level \(level): \(fraction)")
            let area = Double(inside.count) * cellArea, expected = -2 * Double.pi * log(1 - level)
            #expect(abs(area / expected - 1) < 0.06, "level \(level): area \(area) vs \(expected)")
        }
    }
}
