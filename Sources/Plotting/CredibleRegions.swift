/// Highest-density credible regions of a 2-D sample on a grid: the cells with the most samples
/// that together hold a given fraction of them (the corner plot's 68 % and 95 % regions).
public enum CredibleRegions {
    /// Counts of samples (x, y) in an nx × ny grid over the ranges, row-major [iy][ix].
    public static func histogram(x: [Double], y: [Double], xRange: ClosedRange<Double>, yRange: ClosedRange<Double>,
                                 bins nx: Int, _ ny: Int) -> [[Int]] {
        var counts = [[Int]](repeating: [Int](repeating: 0, count: nx), count: ny)
        for (a, b) in zip(x, y) where xRange.contains(a) && yRange.contains(b) {
            let i = min(nx - 1, Int((a - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * Double(nx)))
            let j = min(ny - 1, Int((b - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * Double(ny)))
            counts[j][i] += 1
        }
        return counts
    }

    /// The count threshold of each level: cells with at least this many samples, taken from the
    /// densest down, are the fewest that hold `level` of all samples.
    public static func thresholds(_ counts: [[Int]], levels: [Double]) -> [Int] {
        let sorted = counts.flatMap { $0 }.sorted(by: >)
        let total = Double(sorted.reduce(0, +))
        return levels.map { level in
            var cumulative = 0
            for c in sorted {
                cumulative += c
                if Double(cumulative) >= level * total { return max(c, 1) }
            }
            return 1
        }
    }
}
