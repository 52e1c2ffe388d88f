import DigsCore
import Foundation
import ProductIO

/// Slice i of N of a stage's rows (`--shard i/N`, 0 ≤ i < N): rows [⌊i·n/N⌋, ⌊(i+1)·n/N⌋).
/// Random streams are indexed by the global row, so the union of the shards (`digs merge`)
/// equals the unsharded product bit for bit.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex: Int, count: Int) {
        index = uncheckedIndex
        self.count = count
    }

    /// Parses "i/N".
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, i >= 0, i < n else {
            throw DigsError.invalidInput(field: "--shard", problem: "'\(text)' is not i/N with 0 ≤ i < N (e.g. 0/4)")
        }
        self.init(uncheckedIndex: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// The rows of this shard among n.
    public func rows(of n: Int) -> Range<Int> { (index * n / count)..<((index + 1) * n / count) }

    /// Records the shard in a product being written (root attributes `shard`, `shard_rows`, `total_rows`).
    func record(in writer: ProductWriter, rows: Range<Int>, total: Int) throws {
        guard count > 1 else { return }
        try writer.file.setAttribute("shard", .string(description))
        try writer.file.setAttribute("shard_rows", .ints([Int64(rows.lowerBound), Int64(rows.upperBound)]))
        try writer.file.setAttribute("total_rows", .int(Int64(total)))
    }
}
