import Dispatch

/// A buffer that concurrent workers write at disjoint indices (each index written by one
/// worker only); the caller owns the storage and keeps it alive during the work.
public struct DisjointWrites<Element>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Element>
    public let count: Int

    public init(_ buffer: UnsafeMutableBufferPointer<Element>) {
        base = buffer.baseAddress!
        count = buffer.count
    }

    @inlinable
    public subscript(i: Int) -> Element {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}

/// Runs `body(worker, chunk)` for chunks 0..<chunks on `workers` threads; worker w takes
/// chunks w, w + workers, … so the split depends only on the counts, not on timing.
public func parallelChunks(_ chunks: Int, workers: Int, _ body: @Sendable (Int, Int) -> Void) {
    let w = max(1, min(workers, chunks))
    DispatchQueue.concurrentPerform(iterations: w) { worker in
        var c = worker
        while c < chunks {
            body(worker, c)
            c += w
        }
    }
}
