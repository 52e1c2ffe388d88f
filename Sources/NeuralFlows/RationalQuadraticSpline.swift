import Foundation

/// The monotone rational-quadratic spline of Durkan et al. (2019, "Neural Spline Flows"), with
/// linear tails, exactly as nflows' `unconstrained_rational_quadratic_spline` evaluates it (the
/// elementwise transform of sbi's `nsf` and of nflows'
/// `MaskedPiecewiseRationalQuadraticAutoregressiveTransform`).
///
/// On [−B, B] (B = `tailBound`, in the flow's standardised units) the spline has K = `bins` bins.
/// From 3K − 1 unconstrained values (widths w̃, heights h̃, interior derivatives d̃):
///   bin widths  w_j = m_w + (1 − K·m_w)·softmax(w̃/c)_j,   knots x_j = −B + 2B·Σ_{i<j} w_i,
///   bin heights h_j = m_h + (1 − K·m_h)·softmax(h̃/c)_j,   knots y_j = −B + 2B·Σ_{i<j} h_i,
///   derivatives δ_0 = δ_K = 1 (the linear tails), δ_j = m_δ + softplus(d̃_j) inside,
/// with m_w = m_h = m_δ = 10⁻³ and c = √(hidden units) (nflows divides the MADE's outputs by it).
/// In bin k, with ξ = (x − x_k)/(x_{k+1} − x_k), s = (y_{k+1} − y_k)/(x_{k+1} − x_k), t = ξ(1 − ξ):
///   y = y_k + (y_{k+1} − y_k)·(s ξ² + δ_k t) / (s + (δ_k + δ_{k+1} − 2s) t),
///   dy/dx = s² (δ_{k+1} ξ² + 2 s t + δ_k (1 − ξ)²) / (s + (δ_k + δ_{k+1} − 2s) t)².
/// Outside [−B, B] y = x (log|dy/dx| = 0, and the values get no gradient).
public struct RationalQuadraticSpline<T: BLASScalar>: Sendable {
    /// Number of bins K.
    public let bins: Int
    /// Half-width B of the spline's interval [−B, B].
    public let tailBound: T
    /// c: the widths' and heights' unconstrained values are divided by it.
    public let logitScale: T

    static var minBinWidth: T { 1e-3 }
    static var minBinHeight: T { 1e-3 }
    static var minDerivative: T { 1e-3 }

    public init(bins: Int, tailBound: Double, hidden: Int) {
        self.bins = bins
        self.tailBound = T(tailBound)
        self.logitScale = T(Double(hidden).squareRoot())
    }

    /// Unconstrained values per transformed feature: K widths, K heights, K − 1 derivatives.
    public var parameterCount: Int { 3 * bins - 1 }
    /// Length of the scratch buffer every call takes.
    public var scratchCount: Int { 6 * (bins + 1) }

    /// The knots of one spline in `scratch`: x_j [K+1], y_j [K+1], δ_j [K+1], then the two
    /// softmaxes [K] each (kept for the gradient).
    private func knots(_ p: UnsafePointer<T>, _ scratch: UnsafeMutablePointer<T>) {
        let k = bins, b = tailBound
        let cw = scratch, ch = scratch + (k + 1), dv = scratch + 2 * (k + 1)
        let sw = scratch + 3 * (k + 1), sh = sw + k
        func softmax(_ from: UnsafePointer<T>, _ to: UnsafeMutablePointer<T>) {
            var top = from[0] / logitScale
            for j in 1..<k { top = max(top, from[j] / logitScale) }
            var sum: T = 0
            for j in 0..<k {
                to[j] = T.exp(from[j] / logitScale - top)
                sum += to[j]
            }
            for j in 0..<k { to[j] /= sum }
        }
        softmax(p, sw)
        softmax(p + k, sh)
        let fw = 1 - T(k) * Self.minBinWidth, fh = 1 - T(k) * Self.minBinHeight
        var aw: T = 0, ah: T = 0
        cw[0] = -b
        ch[0] = -b
        for j in 1..<k {
            aw += Self.minBinWidth + fw * sw[j - 1]
            ah += Self.minBinHeight + fh * sh[j - 1]
            cw[j] = 2 * b * aw - b
            ch[j] = 2 * b * ah - b
        }
        cw[k] = b
        ch[k] = b
        dv[0] = 1
        dv[k] = 1
        for j in 1..<k { dv[j] = Self.minDerivative + T.softplus(p[2 * k + j - 1]) }
    }

    /// The bin of v among the knots c[0…K] (c[0] ≤ v ≤ c[K]).
    private func bin(_ v: T, _ c: UnsafePointer<T>) -> Int {
        var j = 0
        while j < bins - 1 && v >= c[j + 1] { j += 1 }
        return j
    }

    /// Bin j of the knots in `scratch`: its lower knot (x_j, y_j), width, height, slope s and
    /// the derivatives at its ends.
    private struct Bin {
        let x0: T, y0: T, w: T, h: T, s: T, d0: T, d1: T

        init(_ j: Int, knots scratch: UnsafeMutablePointer<T>, bins k: Int) {
            let cw = scratch, ch = scratch + (k + 1), dv = scratch + 2 * (k + 1)
            (x0, y0, w, h) = (cw[j], ch[j], cw[j + 1] - cw[j], ch[j + 1] - ch[j])
            (s, d0, d1) = (h / w, dv[j], dv[j + 1])
        }

        /// log dy/dx at ξ = (x − x_j)/w.
        func logDerivative(_ xi: T) -> T {
            let t = xi * (1 - xi)
            let den = s + (d0 + d1 - 2 * s) * t
            let q = d1 * xi * xi + 2 * s * t + d0 * (1 - xi) * (1 - xi)
            return 2 * T.log(s) + T.log(q) - 2 * T.log(den)
        }
    }

    /// y and log dy/dx at x, for the spline of the 3K − 1 values at `p`.
    public func forward(_ x: T, _ p: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>) -> (y: T, logDet: T) {
        guard x >= -tailBound && x <= tailBound else { return (x, 0) }
        knots(p, scratch)
        let b = Bin(bin(x, scratch), knots: scratch, bins: bins)
        let xi = (x - b.x0) / b.w, t = xi * (1 - xi)
        let den = b.s + (b.d0 + b.d1 - 2 * b.s) * t
        return (b.y0 + b.h * (b.s * xi * xi + b.d0 * t) / den, b.logDerivative(xi))
    }

    /// The inverse: x with forward(x) = y, and the forward's log dy/dx at that x.
    public func inverse(_ y: T, _ p: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>) -> (x: T, logDet: T) {
        guard y >= -tailBound && y <= tailBound else { return (y, 0) }
        knots(p, scratch)
        let b = Bin(bin(y, scratch + (bins + 1)), knots: scratch, bins: bins)
        let dy = y - b.y0, e = b.d0 + b.d1 - 2 * b.s
        let a = b.h * (b.s - b.d0) + dy * e, bq = b.h * b.d0 - dy * e, c = -b.s * dy
        let disc = max(0, bq * bq - 4 * a * c)
        // nflows' root: 2c / (−b − √disc), stable where a → 0.
        let xi = min(1, max(0, (2 * c) / (-bq - disc.squareRoot())))
        return (b.x0 + xi * b.w, b.logDerivative(xi))
    }

    /// The gradient of gy·y(x) + gl·log dy/dx: writes ∂/∂p into `gp` (all 3K − 1 entries, zeros
    /// outside the interval) and returns ∂/∂x.
    public func backward(_ x: T, _ p: UnsafePointer<T>, gy: T, gl: T, gp: UnsafeMutablePointer<T>,
                         scratch: UnsafeMutablePointer<T>) -> T {
        let k = bins
        for i in 0..<parameterCount { gp[i] = 0 }
        guard x >= -tailBound && x <= tailBound else { return gy }
        knots(p, scratch)
        let sw = scratch + 3 * (k + 1), sh = sw + k
        let j = bin(x, scratch)
        let b = Bin(j, knots: scratch, bins: k)
        let (w, h, s, d0, d1) = (b.w, b.h, b.s, b.d0, b.d1)
        let xi = (x - b.x0) / w, t = xi * (1 - xi)
        let e = d0 + d1 - 2 * s
        let den = s + e * t, num = s * xi * xi + d0 * t
        let q = d1 * xi * xi + 2 * s * t + d0 * (1 - xi) * (1 - xi)
        let den2 = den * den
        // Through ξ.
        let numXi = 2 * s * xi + d0 * (1 - 2 * xi), denXi = e * (1 - 2 * xi)
        let qXi = 2 * d1 * xi + 2 * s * (1 - 2 * xi) - 2 * d0 * (1 - xi)
        let gXi = gy * h * (numXi * den - num * denXi) / den2 + gl * (qXi / q - 2 * denXi / den)
        // Through s (∂num/∂s = ξ², ∂den/∂s = 1 − 2t, ∂q/∂s = 2t).
        let gS = gy * h * (xi * xi * den - num * (1 - 2 * t)) / den2 + gl * (2 / s + 2 * t / q - 2 * (1 - 2 * t) / den)
        // δ_j and δ_{j+1}.
        let gD0 = gy * h * t * (den - num) / den2 + gl * ((1 - xi) * (1 - xi) / q - 2 * t / den)
        let gD1 = -gy * h * num * t / den2 + gl * (xi * xi / q - 2 * t / den)
        // The bin's own quantities: x_j, w (ξ = (x − x_j)/w, s = h/w), y_j, h.
        let gXj = -gXi / w
        let gW = -gXi * xi / w - gS * s / w
        let gYj = gy
        let gH = gy * num / den + gS / w
        // Knots: x_j and x_{j+1} = x_j + w (likewise y); the end knots are fixed at ±B.
        func knotsBack(_ gLow: T, _ gSize: T, _ soft: UnsafeMutablePointer<T>, _ minSize: T, _ out: UnsafeMutablePointer<T>) {
            // g_knot[j] = gLow − gSize, g_knot[j+1] = gSize; knot m = −B + 2B Σ_{i<m} size_i for 1 ≤ m ≤ K−1.
            let gLowKnot = j >= 1 ? gLow - gSize : 0
            let gHighKnot = j + 1 <= k - 1 ? gSize : 0
            // ∂/∂size_i = 2B (gLowKnot [i < j] + gHighKnot [i < j + 1]), then the softmax's scale.
            let f = 2 * tailBound * (1 - T(k) * minSize)
            var dot: T = 0
            for i in 0..<k {
                var g: T = 0
                if i < j { g += gLowKnot }
                if i < j + 1 { g += gHighKnot }
                out[i] = f * g
                dot += soft[i] * out[i]
            }
            for i in 0..<k { out[i] = soft[i] * (out[i] - dot) / logitScale }
        }
        knotsBack(gXj, gW, sw, Self.minBinWidth, gp)
        knotsBack(gYj, gH, sh, Self.minBinHeight, gp + k)
        if j >= 1 { gp[2 * k + j - 1] = gD0 * T.sigmoid(p[2 * k + j - 1]) }
        if j + 1 <= k - 1 { gp[2 * k + j] = gD1 * T.sigmoid(p[2 * k + j]) }
        // dy/dx and ∂ log(dy/dx)/∂x through ξ alone.
        return gXi / w
    }
}
