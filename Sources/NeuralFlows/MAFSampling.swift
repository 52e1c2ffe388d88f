import DigsCore
import Foundation

extension MAFNetwork {
    /// Scratch memory of the sampler for up to `capacity` rows, reusable across calls. Not
    /// zero-filled: every entry is written before it is read.
    public final class SamplingScratch: @unchecked Sendable {
        public let capacity: Int
        let context: UnsafeMutablePointer<T>   // [K·H]: context activations of the one x
        let hidden: UnsafeMutablePointer<T>    // 3 × [H × B] unit-major: h0, h1, h2
        let levels: UnsafeMutablePointer<T>    // (K + 1) × [D × B] unit-major: u of each level
        let outputs: UnsafeMutablePointer<T>   // 2 × [B]: scale and shift of the current feature
        let scaleProduct: UnsafeMutablePointer<T> // [B]

        public init(architecture a: MAFArchitecture, capacity b: Int) {
            capacity = b
            context = .allocate(capacity: a.transforms * a.hidden)
            hidden = .allocate(capacity: 3 * a.hidden * b)
            levels = .allocate(capacity: (a.transforms + 1) * a.features * b)
            outputs = .allocate(capacity: 2 * b)
            scaleProduct = .allocate(capacity: b)
        }

        deinit {
            for p in [context, hidden, levels, outputs, scaleProduct] { p.deallocate() }
        }
    }

    /// Draws `count` samples of u for one standardised context row x (length C) by inverting
    /// each transform dimension by dimension; returns u [count × D] (row-major) and log q(u | x).
    ///
    /// Inverting feature i needs the MADE outputs of feature i, which depend only on hidden
    /// units of degree ≤ i, which depend only on u_0…u_{i−1} (`MADEMasks`). Those units do not
    /// change once computed, so each pass computes just the units of degree i: one MADE
    /// evaluation per transform in all, instead of D. Activations are stored unit-major
    /// ([unit × rows]) so every inner loop runs over contiguous rows and vectorises.
    /// Base draws are taken row by row, feature by feature, from `generator`.
    public func sample(x: [T], count: Int, generator g: inout Xoshiro256StarStar,
                       scratch ws: SamplingScratch) -> (u: [T], logProb: [T]) {
        let a = architecture, d = a.features, h = a.hidden, n = count
        precondition(count <= ws.capacity && x.count == a.context)
        let degrees = MADEMasks(features: d, hidden: h, multiplier: 2).hiddenDegrees
        let maxDegree = max(d - 1, degrees.max() ?? 0)
        let ofDegree = (0...maxDegree).map { m in degrees.indices.filter { degrees[$0] == m } }
        let upTo = (0...maxDegree).map { m in degrees.indices.filter { degrees[$0] <= m } }
        var logq = [T](repeating: 0, count: n)
        let h0 = ws.hidden, h1 = ws.hidden + h * n, h2 = ws.hidden + 2 * h * n, out = ws.outputs
        let scaleProduct = ws.scaleProduct
        func level(_ k: Int) -> UnsafeMutablePointer<T> { ws.levels + k * d * n }
        parameters.withUnsafeBufferPointer { p in
            let p = p.baseAddress!
            x.withUnsafeBufferPointer { contextActivations(x: $0.baseAddress!, rows: 1, p: p, into: ws.context) }
            let halfLog2Pi = T(0.5 * Foundation.log(2 * Double.pi))
            let base = level(a.transforms)
            for r in 0..<n {
                var s: T = 0
                for i in 0..<d {
                    let z = T(g.nextNormal())
                    base[i * n + r] = z
                    s += z * z
                }
                logq[r] = -s / 2 - T(d) * halfLog2Pi
            }
            for k in stride(from: a.transforms - 1, through: 0, by: -1) {
                let b = layout.base(k), perm = permutations[k], next = level(k + 1), u = level(k)
                let inW = p + b + layout.inWeights, inB = p + b + layout.inBias
                let w1 = p + b + layout.hidden1Weights, b1 = p + b + layout.hidden1Bias
                let w2 = p + b + layout.hidden2Weights, b2 = p + b + layout.hidden2Bias
                let outW = p + b + layout.outWeights, outB = p + b + layout.outBias
                // z_{π(i)} is the next level's feature i.
                var zRow = [UnsafeMutablePointer<T>](repeating: next, count: d)
                for i in 0..<d { zRow[perm[i]] = next + i * n }
                for r in 0..<n { scaleProduct[r] = 1 }
                for i in 0..<d {
                    if i <= maxDegree {
                        for j in ofDegree[i] {
                            // h0_j = tanh(b + c_j + Σ_{f < degree} W_jf u_f)
                            let row = h0 + j * n, c = ws.context[k * h + j] + inB[j]
                            for r in 0..<n { row[r] = c }
                            for f in 0..<min(i, d) {
                                let w = inW[j * d + f], src = u + f * n
                                if w != 0 { for r in 0..<n { row[r] += w * src[r] } }
                            }
                            for r in 0..<n { row[r] = T.tanh(row[r]) }
                        }
                        for (weights, bias, input, output) in [(w1, b1, h0, h1), (w2, b2, h1, h2)] {
                            for j in ofDegree[i] {
                                let row = output + j * n, c = bias[j]
                                for r in 0..<n { row[r] = c }
                                for l in upTo[i] {
                                    let w = weights[j * h + l], src = input + l * n
                                    for r in 0..<n { row[r] += w * src[r] }
                                }
                                for r in 0..<n { row[r] = T.tanh(row[r]) }
                            }
                        }
                    }
                    // Outputs 2i (scale) and 2i + 1 (shift) see hidden units of degree ≤ i.
                    let visible = upTo[min(i, maxDegree)]
                    for o in 0..<2 {
                        let row = out + o * n, c = outB[2 * i + o]
                        for r in 0..<n { row[r] = c }
                        for l in visible {
                            let w = outW[(2 * i + o) * h + l], src = h2 + l * n
                            for r in 0..<n { row[r] += w * src[r] }
                        }
                    }
                    let z = zRow[i], ui = u + i * n
                    for r in 0..<n {
                        let scale = T.softplus(out[r]) + Self.scaleFloor
                        ui[r] = (z[r] - out[n + r]) / scale
                        scaleProduct[r] *= scale
                    }
                    if i % 8 == 7 && i < d - 1 {  // keep the product of ≥ 10⁻³ factors inside Float's range
                        for r in 0..<n { logq[r] += T.log(scaleProduct[r]); scaleProduct[r] = 1 }
                    }
                }
                // One logarithm per transform: Σ_i log s_i = log Π_i s_i (≤ 8 factors at a time).
                for r in 0..<n { logq[r] += T.log(scaleProduct[r]) }
            }
        }
        let u = level(0)
        var rows = [T](repeating: 0, count: n * d)
        for r in 0..<n { for i in 0..<d { rows[r * d + i] = u[i * n + r] } }
        return (rows, logq)
    }
}
