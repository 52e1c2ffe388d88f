import DigsCore
import Foundation

/// The masked autoregressive flow itself, on standardised θ (u) and x: parameters, the
/// density with its exact gradient, and sampling by inversion.
///
/// Per transform k with input u (D) and context activation c_k = tanh(W_c,k·x + b_c,k) (H):
///   h₀ = tanh(M_in·u + b_in + c_k), h₁ = tanh(M₁·h₀ + b₁), h₂ = tanh(M₂·h₁ + b₂),
///   (a_i, m_i) = (o_{2i}, o_{2i+1}) with o = M_out·h₂ + b_out,
///   s_i = softplus(a_i) + 10⁻³, z_i = s_i·u_i + m_i, log|det| = Σ log s_i,
/// then the permutation u′_i = z_{π_k(i)}; after K transforms log N(u′; 0, I). With
/// `splineBins` > 0 the MADE gives 3K − 1 outputs per feature and z_i is their
/// `RationalQuadraticSpline` of u_i instead (log|det| = Σ log dz_i/du_i).
/// The M are MADE-masked (`MADEMasks`); masked weights are held at exactly 0. With an
/// embedding network, x above is e = tanh(W_L·…tanh(W₁·x + b₁)… + b_L), computed once per row
/// and shared by every transform.
///
/// Backward pass (for a per-sample weight w_b on log q):
///   ∂/∂u′ log N = −u′;  ∂z_{π(i)} = ∂u′_i;  ∂s_i = ∂z_i·u_i + 1/s_i;  ∂m_i = ∂z_i;
///   ∂a_i = ∂s_i·σ(a_i);  ∂u_i = ∂z_i·s_i + (M_inᵀ·∂pre₀)_i;  tanh′ = 1 − tanh²;
/// weight gradients are the usual outer products, masked; the context layers of all
/// transforms are differentiated together in one matrix product at the end, then (with an
/// embedding) ∂e = ∂preᵀ·W_c is carried back through the embedding layers.
public final class MAFNetwork<T: BLASScalar>: @unchecked Sendable {
    public let architecture: MAFArchitecture
    let layout: MAFArchitecture.Layout
    /// All parameters, laid out as `MAFArchitecture.Layout`.
    public var parameters: [T]
    /// 1 where a parameter exists, 0 where a MADE mask removes it (same layout).
    public let mask: [T]
    /// π_k for each transform: the next input is u′_i = z_{π_k(i)}.
    public let permutations: [[Int]]

    static var scaleFloor: T { 1e-3 }

    /// A freshly initialised flow: weights and biases U(−1/√fan_in, 1/√fan_in) (PyTorch's
    /// `nn.Linear` default), masked entries 0, random permutations; all from `generator`.
    public init(architecture a: MAFArchitecture, generator g: inout Xoshiro256StarStar) {
        let layout = a.layout
        let masks = MADEMasks(features: a.features, hidden: a.hidden, multiplier: a.outputsPerFeature)
        var mask = [T](repeating: 1, count: layout.total)
        for k in 0..<a.transforms {
            let b = layout.base(k)
            for (i, m) in masks.input.enumerated() { mask[b + layout.inWeights + i] = T(m) }
            for (i, m) in masks.hiddenToHidden.enumerated() {
                mask[b + layout.hidden1Weights + i] = T(m)
                mask[b + layout.hidden2Weights + i] = T(m)
            }
            for (i, m) in masks.output.enumerated() { mask[b + layout.outWeights + i] = T(m) }
        }
        var p = [T](repeating: 0, count: layout.total)
        func fill(_ start: Int, _ count: Int, fanIn: Int) {
            let bound = 1 / Double(fanIn).squareRoot()
            for i in start..<(start + count) { p[i] = T((2 * g.nextUniform() - 1) * bound) * mask[i] }
        }
        let d = a.features, h = a.hidden, o = a.outputsPerFeature
        fill(layout.contextWeights, a.transforms * h * a.contextFeatures, fanIn: a.contextFeatures)
        fill(layout.contextBias, a.transforms * h, fanIn: a.contextFeatures)
        for k in 0..<a.transforms {
            let b = layout.base(k)
            fill(b + layout.inWeights, h * d, fanIn: d)
            fill(b + layout.inBias, h, fanIn: d)
            fill(b + layout.hidden1Weights, h * h, fanIn: h)
            fill(b + layout.hidden1Bias, h, fanIn: h)
            fill(b + layout.hidden2Weights, h * h, fanIn: h)
            fill(b + layout.hidden2Bias, h, fanIn: h)
            fill(b + layout.outWeights, o * d * h, fanIn: h)
            fill(b + layout.outBias, o * d, fanIn: h)
        }
        var perms: [[Int]] = []
        for _ in 0..<a.transforms {
            var perm = Array(0..<d)
            for i in stride(from: d - 1, to: 0, by: -1) {
                let j = Int(g.next() % UInt64(i + 1))
                perm.swapAt(i, j)
            }
            perms.append(perm)
        }
        // The embedding last, so a flow without one draws exactly what it always drew.
        var width = a.context
        for (l, e) in a.embedding.enumerated() {
            fill(layout.embeddingWeights[l], e * width, fanIn: width)
            fill(layout.embeddingBias[l], e, fanIn: width)
            width = e
        }
        self.architecture = a
        self.layout = layout
        self.parameters = p
        self.mask = mask
        self.permutations = perms
    }

    /// A flow with given parameters and permutations (e.g. loaded from a product).
    public init(architecture a: MAFArchitecture, parameters: [T], permutations: [[Int]]) throws {
        var g = Xoshiro256StarStar(seed: 1)
        let fresh = MAFNetwork(architecture: a, generator: &g)
        guard parameters.count == fresh.layout.total else {
            throw DigsError.invalidInput(field: "flow parameters", problem: "\(parameters.count) values, expected \(fresh.layout.total)")
        }
        guard permutations.count == a.transforms,
              permutations.allSatisfy({ $0.sorted() == Array(0..<a.features) }) else {
            throw DigsError.invalidInput(field: "flow permutations", problem: "expected \(a.transforms) permutations of 0..<\(a.features)")
        }
        guard zip(parameters, fresh.mask).allSatisfy({ $1 != 0 || $0 == 0 }) else {
            throw DigsError.invalidInput(field: "flow parameters", problem: "weights present where the MADE masks forbid them")
        }
        self.architecture = a
        self.layout = fresh.layout
        self.parameters = parameters
        self.mask = fresh.mask
        self.permutations = permutations
    }

    // MARK: - Workspace

    /// Buffers for one batch of up to `capacity` rows, reused across calls (raw memory: the
    /// inner loops run without copy-on-write checks).
    public final class Workspace: @unchecked Sendable {
        public let capacity: Int
        let contextAct: UnsafeMutablePointer<T>   // [B × K·H]
        let inputs: [UnsafeMutablePointer<T>]     // K + 1 of [B × D]: u_k; inputs[K] is the base variable
        let h0, h1, h2: [UnsafeMutablePointer<T>] // K of [B × H]
        let outputs: [UnsafeMutablePointer<T>]    // K of [B × P·D]
        let scales: [UnsafeMutablePointer<T>]     // K of [B × D] (affine transforms)
        let gU, gZ: UnsafeMutablePointer<T>       // [B × D]
        let gO: UnsafeMutablePointer<T>           // [B × P·D]
        let splineScratch: UnsafeMutablePointer<T> // the spline's knots
        let gA, gB: UnsafeMutablePointer<T>       // [B × H]
        let gContext: UnsafeMutablePointer<T>     // [B × K·H]
        let context: UnsafeMutablePointer<T>      // [B × C]: the x of the last forward pass
        let embedded: [UnsafeMutablePointer<T>]   // per embedding layer [B × E_l]
        let gEmbedded: [UnsafeMutablePointer<T>]  // 2 of [B × max E_l]: the running gradient
        private var owned: [UnsafeMutablePointer<T>] = []

        public init(architecture a: MAFArchitecture, capacity b: Int) {
            let d = a.features, h = a.hidden, k = a.transforms, o = a.outputsPerFeature
            var owned: [UnsafeMutablePointer<T>] = []
            func buffer(_ n: Int) -> UnsafeMutablePointer<T> {
                let p = UnsafeMutablePointer<T>.allocate(capacity: max(n, 1))
                p.initialize(repeating: 0, count: max(n, 1))
                owned.append(p)
                return p
            }
            capacity = b
            contextAct = buffer(b * k * h)
            inputs = (0...k).map { _ in buffer(b * d) }
            h0 = (0..<k).map { _ in buffer(b * h) }
            h1 = (0..<k).map { _ in buffer(b * h) }
            h2 = (0..<k).map { _ in buffer(b * h) }
            outputs = (0..<k).map { _ in buffer(b * o * d) }
            scales = (0..<k).map { _ in buffer(b * d) }
            gU = buffer(b * d)
            gZ = buffer(b * d)
            gO = buffer(b * o * d)
            splineScratch = buffer(a.spline(T.self)?.scratchCount ?? 0)
            gA = buffer(b * h)
            gB = buffer(b * h)
            gContext = buffer(b * k * h)
            context = buffer(b * a.context)
            embedded = a.embedding.map { buffer(b * $0) }
            let widest = a.embedding.max() ?? 0
            gEmbedded = a.embedding.isEmpty ? [] : (0..<2).map { _ in buffer(b * widest) }
            self.owned = owned
        }

        deinit { for p in owned { p.deallocate() } }
    }

    // MARK: - Density

    /// log q(u | x) for `batch` rows of u [B × D] and x [B × C] (both standardised), into
    /// `logProb` [B]; leaves the intermediate values in `ws` for `backward`.
    public func logProb(u: UnsafePointer<T>, x: UnsafePointer<T>, batch: Int, workspace ws: Workspace,
                        into logProb: UnsafeMutablePointer<T>) {
        let a = architecture, d = a.features
        precondition(batch <= ws.capacity)
        parameters.withUnsafeBufferPointer { p in
            let p = p.baseAddress!
            ws.context.update(from: x, count: batch * a.context)
            let e = embed(x: x, rows: batch, p: p, layers: ws.embedded)
            contextActivations(x: e, rows: batch, p: p, into: ws.contextAct)
            ws.inputs[0].update(from: u, count: batch * d)
            for i in 0..<batch { logProb[i] = 0 }
            for k in 0..<a.transforms {
                transformForward(k, batch: batch, p: p, ws: ws, logDet: logProb)
            }
        }
        let halfLog2Pi = T(0.5 * Foundation.log(2 * Double.pi))
        let z = ws.inputs[a.transforms]
        for r in 0..<batch {
            var s: T = 0
            for i in 0..<d { s += z[r * d + i] * z[r * d + i] }
            logProb[r] += -s / 2 - T(d) * halfLog2Pi
        }
    }

    /// The embedding network's layers for `rows` rows of x [rows × C], each into its buffer
    /// of `layers` (one per layer, [rows × E_l]); returns the last (or x itself without an
    /// embedding): the input of the context layers.
    func embed(x: UnsafePointer<T>, rows: Int, p: UnsafePointer<T>, layers: [UnsafeMutablePointer<T>]) -> UnsafePointer<T> {
        let a = architecture
        var input = x, width = a.context
        for (l, e) in a.embedding.enumerated() {
            dense(input: input, output: layers[l], batch: rows, weights: p + layout.embeddingWeights[l],
                  bias: p + layout.embeddingBias[l], inCount: width, outCount: e, tanh: true)
            input = UnsafePointer(layers[l])
            width = e
        }
        return input
    }

    /// tanh(W_c·e + b_c) for the context layers of all transforms in one product,
    /// [rows × C′]·[K·H × C′]ᵀ, into `c` [rows × K·H]; e is x or its embedding.
    func contextActivations(x: UnsafePointer<T>, rows: Int, p: UnsafePointer<T>, into c: UnsafeMutablePointer<T>) {
        let a = architecture, kh = a.transforms * a.hidden, cf = a.contextFeatures
        for r in 0..<rows { (c + r * kh).update(from: p + layout.contextBias, count: kh) }
        T.gemm(transA: false, transB: true, m: rows, n: kh, k: cf, alpha: 1, a: x, lda: cf,
               b: p + layout.contextWeights, ldb: cf, beta: 1, c: c, ldc: kh)
        for i in 0..<(rows * kh) { c[i] = T.tanh(c[i]) }
    }

    /// One MADE pass of transform k on ws.inputs[k]: fills h₀, h₁, h₂, outputs, scales.
    func madeForward(_ k: Int, batch: Int, p: UnsafePointer<T>, ws: Workspace) {
        let a = architecture, d = a.features, h = a.hidden, kh = a.transforms * h, b = layout.base(k)
        let h0 = ws.h0[k], c = ws.contextAct
        for r in 0..<batch {
            for j in 0..<h { h0[r * h + j] = p[b + layout.inBias + j] + c[r * kh + k * h + j] }
        }
        T.gemm(transA: false, transB: true, m: batch, n: h, k: d, alpha: 1, a: ws.inputs[k], lda: d,
               b: p + b + layout.inWeights, ldb: d, beta: 1, c: h0, ldc: h)
        for i in 0..<(batch * h) { h0[i] = T.tanh(h0[i]) }
        dense(input: h0, output: ws.h1[k], batch: batch, weights: p + b + layout.hidden1Weights,
              bias: p + b + layout.hidden1Bias, inCount: h, outCount: h, tanh: true)
        dense(input: ws.h1[k], output: ws.h2[k], batch: batch, weights: p + b + layout.hidden2Weights,
              bias: p + b + layout.hidden2Bias, inCount: h, outCount: h, tanh: true)
        dense(input: ws.h2[k], output: ws.outputs[k], batch: batch, weights: p + b + layout.outWeights,
              bias: p + b + layout.outBias, inCount: h, outCount: a.outputsPerFeature * d, tanh: false)
        guard a.splineBins == 0 else { return }
        let o = ws.outputs[k], s = ws.scales[k]
        for r in 0..<batch {
            for i in 0..<d { s[r * d + i] = T.softplus(o[r * 2 * d + 2 * i]) + Self.scaleFloor }
        }
    }

    /// out = act(in·Wᵀ + b) for a [batch × inCount] input.
    func dense(input x: UnsafePointer<T>, output y: UnsafeMutablePointer<T>, batch: Int, weights: UnsafePointer<T>,
               bias: UnsafePointer<T>, inCount: Int, outCount: Int, tanh: Bool) {
        for r in 0..<batch { (y + r * outCount).update(from: bias, count: outCount) }
        T.gemm(transA: false, transB: true, m: batch, n: outCount, k: inCount, alpha: 1, a: x,
               lda: inCount, b: weights, ldb: inCount, beta: 1, c: y, ldc: outCount)
        if tanh { for i in 0..<(batch * outCount) { y[i] = T.tanh(y[i]) } }
    }

    private func transformForward(_ k: Int, batch: Int, p: UnsafePointer<T>, ws: Workspace,
                                  logDet: UnsafeMutablePointer<T>) {
        let d = architecture.features
        madeForward(k, batch: batch, p: p, ws: ws)
        let perm = permutations[k]
        let u = ws.inputs[k], o = ws.outputs[k], s = ws.scales[k], next = ws.inputs[k + 1], z = ws.gZ
        let spline = architecture.spline(T.self), po = architecture.outputsPerFeature
        for r in 0..<batch {
            var ld: T = 0
            for i in 0..<d {
                if let spline {
                    let (y, l) = spline.forward(u[r * d + i], o + (r * d + i) * po, scratch: ws.splineScratch)
                    z[i] = y
                    ld += l
                } else {
                    let scale = s[r * d + i]
                    z[i] = scale * u[r * d + i] + o[r * 2 * d + 2 * i + 1]
                    ld += T.log(scale)
                }
            }
            for i in 0..<d { next[r * d + i] = z[perm[i]] }
            logDet[r] += ld
        }
    }

    // MARK: - Gradient

    /// Accumulates Σ_b w_b·∂log q_b/∂parameters into `gradient` (masked weights included; see
    /// `maskGradient`) for the batch last passed to `logProb`; writes ∂(w_b log q_b)/∂u per row
    /// into `inputGradient` if given.
    public func backward(weights w: UnsafePointer<T>, batch: Int, workspace ws: Workspace,
                         gradient: UnsafeMutablePointer<T>, inputGradient: UnsafeMutablePointer<T>? = nil) {
        let a = architecture, d = a.features, h = a.hidden, kh = a.transforms * h, po = a.outputsPerFeature
        let gU = ws.gU, gZ = ws.gZ, gO = ws.gO, gA = ws.gA, gB = ws.gB
        let spline = a.spline(T.self)
        // ∂/∂u′ of w·log N(u′) = −w·u′.
        let zBase = ws.inputs[a.transforms]
        for r in 0..<batch { for i in 0..<d { gU[r * d + i] = -w[r] * zBase[r * d + i] } }
        parameters.withUnsafeBufferPointer { p in
            let p = p.baseAddress!
            for k in stride(from: a.transforms - 1, through: 0, by: -1) {
                let b = layout.base(k), perm = permutations[k]
                // Undo the permutation, then through z = s·u + m and log|det|.
                for r in 0..<batch { for i in 0..<d { gZ[r * d + perm[i]] = gU[r * d + i] } }
                let u = ws.inputs[k], s = ws.scales[k], o = ws.outputs[k]
                if let spline {
                    for r in 0..<batch {
                        for i in 0..<d {
                            let at = (r * d + i) * po
                            gU[r * d + i] = spline.backward(u[r * d + i], o + at, gy: gZ[r * d + i], gl: w[r], gp: gO + at,
                                                            scratch: ws.splineScratch)
                        }
                    }
                } else {
                    for r in 0..<batch {
                        for i in 0..<d {
                            let gz = gZ[r * d + i], scale = s[r * d + i]
                            let gs = gz * u[r * d + i] + w[r] / scale
                            gO[r * 2 * d + 2 * i] = gs * T.sigmoid(o[r * 2 * d + 2 * i])
                            gO[r * 2 * d + 2 * i + 1] = gz
                            gU[r * d + i] = gz * scale
                        }
                    }
                }
                // Output layer → h₂ → h₁ → h₀ (gA/gB alternate as the running gradient).
                denseBackward(gOut: gO, input: ws.h2[k], gIn: gA, batch: batch, weights: p + b + layout.outWeights,
                              gWeights: gradient + b + layout.outWeights, gBias: gradient + b + layout.outBias,
                              inCount: h, outCount: po * d)
                tanhBackward(gA, ws.h2[k], batch * h)
                denseBackward(gOut: gA, input: ws.h1[k], gIn: gB, batch: batch, weights: p + b + layout.hidden2Weights,
                              gWeights: gradient + b + layout.hidden2Weights, gBias: gradient + b + layout.hidden2Bias,
                              inCount: h, outCount: h)
                tanhBackward(gB, ws.h1[k], batch * h)
                denseBackward(gOut: gB, input: ws.h0[k], gIn: gA, batch: batch, weights: p + b + layout.hidden1Weights,
                              gWeights: gradient + b + layout.hidden1Weights, gBias: gradient + b + layout.hidden1Bias,
                              inCount: h, outCount: h)
                tanhBackward(gA, ws.h0[k], batch * h)
                // Pre-activation of h₀ = M_in·u + b_in + c_k: to u (added to the direct path), M_in, b_in, c_k.
                denseBackward(gOut: gA, input: u, gIn: gZ, batch: batch, weights: p + b + layout.inWeights,
                              gWeights: gradient + b + layout.inWeights, gBias: gradient + b + layout.inBias,
                              inCount: d, outCount: h)
                for i in 0..<(batch * d) { gU[i] += gZ[i] }
                let c = ws.contextAct, gc = ws.gContext
                for r in 0..<batch {
                    for j in 0..<h {
                        let act = c[r * kh + k * h + j]
                        gc[r * kh + k * h + j] = gA[r * h + j] * (1 - act * act)
                    }
                }
            }
        }
        // Context layers of all transforms: ∂W_c += ∂preᵀ·e, ∂b_c += Σ_rows ∂pre.
        let g = ws.gContext, cf = a.contextFeatures
        let e = UnsafePointer(ws.embedded.last ?? ws.context)
        T.gemm(transA: true, transB: false, m: kh, n: cf, k: batch, alpha: 1, a: g, lda: kh,
               b: e, ldb: cf, beta: 1, c: gradient + layout.contextWeights, ldc: cf)
        for r in 0..<batch { for j in 0..<kh { gradient[layout.contextBias + j] += g[r * kh + j] } }
        if !a.embedding.isEmpty {
            parameters.withUnsafeBufferPointer { p in
                embeddingBackward(gContext: g, batch: batch, p: p.baseAddress!, ws: ws, gradient: gradient)
            }
        }
        if let inputGradient { inputGradient.update(from: gU, count: batch * d) }
    }

    /// ∂e = ∂pre_c·W_c, then back through each embedding layer (tanh′, weights, bias) to x.
    private func embeddingBackward(gContext g: UnsafeMutablePointer<T>, batch: Int, p: UnsafePointer<T>, ws: Workspace,
                                   gradient: UnsafeMutablePointer<T>) {
        let a = architecture, kh = a.transforms * a.hidden, widths = [a.context] + a.embedding
        var current = ws.gEmbedded[0], spare = ws.gEmbedded[1]
        T.gemm(transA: false, transB: false, m: batch, n: a.contextFeatures, k: kh, alpha: 1, a: g, lda: kh,
               b: p + layout.contextWeights, ldb: a.contextFeatures, beta: 0, c: current, ldc: a.contextFeatures)
        for l in stride(from: a.embedding.count - 1, through: 0, by: -1) {
            let e = widths[l + 1], input = l == 0 ? ws.context : ws.embedded[l - 1]
            tanhBackward(current, ws.embedded[l], batch * e)
            // The first layer's input is the data: no gradient to carry further.
            denseBackward(gOut: current, input: input, gIn: l > 0 ? spare : nil, batch: batch, weights: p + layout.embeddingWeights[l],
                          gWeights: gradient + layout.embeddingWeights[l], gBias: gradient + layout.embeddingBias[l],
                          inCount: widths[l], outCount: e)
            swap(&current, &spare)
        }
    }

    /// gIn = gOut·W (skipped when gIn is nil: the input is data); ∂W += gOutᵀ·input; ∂b += Σ_rows gOut.
    func denseBackward(gOut: UnsafeMutablePointer<T>, input: UnsafeMutablePointer<T>, gIn: UnsafeMutablePointer<T>?,
                       batch: Int, weights: UnsafePointer<T>, gWeights: UnsafeMutablePointer<T>,
                       gBias: UnsafeMutablePointer<T>, inCount: Int, outCount: Int) {
        if let gIn {
            T.gemm(transA: false, transB: false, m: batch, n: inCount, k: outCount, alpha: 1, a: gOut,
                   lda: outCount, b: weights, ldb: inCount, beta: 0, c: gIn, ldc: inCount)
        }
        T.gemm(transA: true, transB: false, m: outCount, n: inCount, k: batch, alpha: 1, a: gOut,
               lda: outCount, b: input, ldb: inCount, beta: 1, c: gWeights, ldc: inCount)
        for r in 0..<batch { for j in 0..<outCount { gBias[j] += gOut[r * outCount + j] } }
    }

    func tanhBackward(_ g: UnsafeMutablePointer<T>, _ act: UnsafeMutablePointer<T>, _ n: Int) {
        for i in 0..<n { g[i] *= 1 - act[i] * act[i] }
    }

    /// Zeroes the gradient of weights removed by the MADE masks.
    public func maskGradient(_ gradient: inout [T]) {
        for i in gradient.indices { gradient[i] *= mask[i] }
    }
}


/// The network as `FlowTrainer` trains it (both autoregressive families).
extension MAFNetwork: TrainableFlow where T == Float {
    public var features: Int { architecture.features }
    public var contextCount: Int { architecture.context }
    public var shapeDescription: String { "\(architecture)" }

    public func makeWorkspace(rows: Int) -> AnyObject { Workspace(architecture: architecture, capacity: rows) }

    public func logProb(u: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int, workspace: AnyObject,
                        into logProb: UnsafeMutablePointer<Float>) {
        self.logProb(u: u, x: x, batch: rows, workspace: workspace as! Workspace, into: logProb)
    }

    public func accumulateGradient(weights: UnsafePointer<Float>, rows: Int, workspace: AnyObject,
                                   gradient: UnsafeMutablePointer<Float>) {
        backward(weights: weights, batch: rows, workspace: workspace as! Workspace, gradient: gradient)
    }

    public func trained(parameters: [Float], standardization: Standardization, parameterNames: [String],
                        contextLayout: ContextLayout) throws -> any TrainedFlow {
        try AutoregressiveFlow(network: MAFNetwork(architecture: architecture, parameters: parameters, permutations: permutations),
                               standardization: standardization, parameterNames: parameterNames, contextLayout: contextLayout)
    }
}
