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
        let outputs: UnsafeMutablePointer<T>   // P × [B]: the MADE outputs of the current feature
        let scaleProduct: UnsafeMutablePointer<T> // [B]
        let splineValues: UnsafeMutablePointer<T>  // [P]: one row's spline values, gathered
        let splineScratch: UnsafeMutablePointer<T> // the spline's knots

        public init(architecture a: MAFArchitecture, capacity b: Int) {
            capacity = b
            context = .allocate(capacity: a.transforms * a.hidden)
            hidden = .allocate(capacity: 3 * a.hidden * b)
            levels = .allocate(capacity: (a.transforms + 1) * a.features * b)
            outputs = .allocate(capacity: a.outputsPerFeature * b)
            scaleProduct = .allocate(capacity: b)
            splineValues = .allocate(capacity: a.outputsPerFeature)
            splineScratch = .allocate(capacity: max(1, a.spline(T.self)?.scratchCount ?? 0))
        }

        deinit {
            for p in [context, hidden, levels, outputs, scaleProduct, splineValues, splineScratch] { p.deallocate() }
        }
    }

    /// The weights arranged for sampling: each transform's hidden units sorted by MADE degree,
    /// so the units a pass needs (degree ≤ i) are a contiguous prefix and each pass is a few
    /// small matrix products. Masked weights stay exact zeros, so products over a prefix are
    /// exact. Made once per trained flow (`samplingWeights()`).
    public struct SamplingWeights: Sendable {
        let transforms: [SortedTransform]
        /// prefix[m] = number of hidden units of degree ≤ m.
        let prefix: [Int]
    }

    struct SortedTransform: Sendable {
        var inW: [T], inB: [T], w1: [T], b1: [T], w2: [T], b2: [T], outW: [T], outB: [T]
        /// Original index of each sorted unit (for the context activations).
        var order: [Int]
    }

    public func samplingWeights() -> SamplingWeights {
        let a = architecture, d = a.features, h = a.hidden, po = a.outputsPerFeature
        let degrees = MADEMasks(features: d, hidden: h, multiplier: po).hiddenDegrees
        let order = degrees.indices.sorted { (degrees[$0], $0) < (degrees[$1], $1) }
        let maxDegree = max(d - 1, degrees.max() ?? 0)
        // prefix[m] = number of units of degree ≤ m.
        let prefix = (0...maxDegree).map { m in degrees.filter { $0 <= m }.count }
        let transforms = (0..<a.transforms).map { k -> SortedTransform in
            let b = layout.base(k), p = parameters
            func rows(_ offset: Int, _ width: Int) -> [T] {
                var out = [T]()
                for r in order {
                    let start: Int = b + offset + r * width
                    out += p[start..<(start + width)]
                }
                return out
            }
            func square(_ offset: Int) -> [T] {
                var out = [T]()
                for r in order { for c in order { out.append(p[b + offset + r * h + c]) } }
                return out
            }
            return SortedTransform(
                inW: rows(layout.inWeights, d), inB: order.map { p[b + layout.inBias + $0] },
                w1: square(layout.hidden1Weights), b1: order.map { p[b + layout.hidden1Bias + $0] },
                w2: square(layout.hidden2Weights), b2: order.map { p[b + layout.hidden2Bias + $0] },
                outW: (0..<(po * d)).flatMap { (o: Int) -> [T] in order.map { p[b + layout.outWeights + o * h + $0] } },
                outB: Array(p[(b + layout.outBias)..<(b + layout.outBias + po * d)]), order: order)
        }
        return SamplingWeights(transforms: transforms, prefix: prefix)
    }

    /// Draws `count` samples of u for one standardised context row x (length C) by inverting
    /// each transform dimension by dimension; returns u [count × D] (row-major) and log q(u | x).
    ///
    /// Inverting feature i needs the MADE outputs of feature i, which depend only on hidden
    /// units of degree ≤ i, which depend only on u_0…u_{i−1} (`MADEMasks`). Those units do not
    /// change once computed, so each pass computes just the units of degree i: one MADE
    /// evaluation per transform in all, instead of D. Units are sorted by degree and stored
    /// unit-major ([unit × rows]), so each pass is a few small BLAS products over the rows.
    /// Base draws are taken row by row, feature by feature, from `generator`.
    public func sample(x: [T], count: Int, generator g: inout Xoshiro256StarStar,
                       scratch ws: SamplingScratch, weights: SamplingWeights) -> (u: [T], logProb: [T]) {
        let a = architecture, d = a.features, h = a.hidden, n = count, po = a.outputsPerFeature
        let spline = a.spline(T.self)
        precondition(count <= ws.capacity && x.count == a.context && weights.transforms.count == a.transforms)
        let (transforms, prefix) = (weights.transforms, weights.prefix)
        let maxDegree = prefix.count - 1
        var logq = [T](repeating: 0, count: n)
        let h0 = ws.hidden, h1 = ws.hidden + h * n, h2 = ws.hidden + 2 * h * n, out = ws.outputs
        let scaleProduct = ws.scaleProduct
        func level(_ k: Int) -> UnsafeMutablePointer<T> { ws.levels + k * d * n }
        parameters.withUnsafeBufferPointer { p in
            let layers = a.embedding.map { UnsafeMutablePointer<T>.allocate(capacity: $0) }
            defer { for l in layers { l.deallocate() } }
            x.withUnsafeBufferPointer { x in
                let e = embed(x: x.baseAddress!, rows: 1, p: p.baseAddress!, layers: layers)
                contextActivations(x: e, rows: 1, p: p.baseAddress!, into: ws.context)
            }
        }
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
        /// rows [first, last) of `output` = W[first..<last, 0..<k]·input[0..<k, :] + bias (+ extra), then tanh.
        func layer(_ w: [T], ldw: Int, k: Int, input: UnsafeMutablePointer<T>, output: UnsafeMutablePointer<T>,
                   first: Int, last: Int, bias: (Int) -> T, tanh: Bool) {
            guard last > first else { return }
            for j in first..<last {
                let row = output + j * n, c = bias(j)
                for r in 0..<n { row[r] = c }
            }
            if k > 0 {
                w.withUnsafeBufferPointer { wp in
                    T.gemm(transA: false, transB: false, m: last - first, n: n, k: k, alpha: 1, a: wp.baseAddress! + first * ldw,
                           lda: ldw, b: input, ldb: n, beta: 1, c: output + first * n, ldc: n)
                }
            }
            if tanh { for i in (first * n)..<(last * n) { output[i] = T.tanh(output[i]) } }
        }
        for k in stride(from: a.transforms - 1, through: 0, by: -1) {
            let t = transforms[k], perm = permutations[k], next = level(k + 1), u = level(k)
            // z_{π(i)} is the next level's feature i.
            var zRow = [UnsafeMutablePointer<T>](repeating: next, count: d)
            for i in 0..<d { zRow[perm[i]] = next + i * n }
            for r in 0..<n { scaleProduct[r] = 1 }
            for i in 0..<d {
                let m = min(i, maxDegree)
                if i <= maxDegree {
                    let first = m == 0 ? 0 : prefix[m - 1], last = prefix[m]
                    layer(t.inW, ldw: d, k: min(i, d), input: u, output: h0, first: first, last: last,
                          bias: { t.inB[$0] + ws.context[k * h + t.order[$0]] }, tanh: true)
                    layer(t.w1, ldw: h, k: last, input: h0, output: h1, first: first, last: last, bias: { t.b1[$0] }, tanh: true)
                    layer(t.w2, ldw: h, k: last, input: h1, output: h2, first: first, last: last, bias: { t.b2[$0] }, tanh: true)
                }
                // Outputs P·i…P·i + P − 1 (affine: scale, shift) see hidden units of degree ≤ i.
                for o in 0..<po { let c = t.outB[po * i + o]; for r in 0..<n { out[o * n + r] = c } }
                if prefix[m] > 0 {
                    t.outW.withUnsafeBufferPointer { wp in
                        T.gemm(transA: false, transB: false, m: po, n: n, k: prefix[m], alpha: 1, a: wp.baseAddress! + po * i * h,
                               lda: h, b: h2, ldb: n, beta: 1, c: out, ldc: n)
                    }
                }
                let z = zRow[i], ui = u + i * n
                if let spline {
                    // log dz/du is added directly (each is a log, not a product of scales).
                    for r in 0..<n {
                        for o in 0..<po { ws.splineValues[o] = out[o * n + r] }
                        let (value, logDet) = spline.inverse(z[r], ws.splineValues, scratch: ws.splineScratch)
                        ui[r] = value
                        logq[r] += logDet
                    }
                    continue
                }
                for r in 0..<n {
                    let scale = T.fastSoftplus(out[r]) + Self.scaleFloor
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
        let u = level(0)
        var rows = [T](repeating: 0, count: n * d)
        for r in 0..<n { for i in 0..<d { rows[r * d + i] = u[i * n + r] } }
        return (rows, logq)
    }
}
