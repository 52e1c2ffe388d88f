import CBLAS
import Foundation

/// A floating-point type with a BLAS matrix product: Float (training and inference speed)
/// and Double (the gradient checks). Matrices are row-major.
public protocol BLASScalar: BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
    /// C ← α·op(A)·op(B) + β·C, with op(A) [m×k], op(B) [k×n], C [m×n]; ld* are row strides.
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    static func tanh(_ x: Self) -> Self
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    /// softplus(x) = log(1 + eˣ), stable for large |x|, branch-free for vectorised loops; the
    /// sampler's. (Training and the density keep libm's `softplus`: the trained flows, and so
    /// the calibration figures, do not depend on this approximation.)
    static func fastSoftplus(_ x: Self) -> Self
}

extension Float: BLASScalar {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    /// tanh by a [13/6] rational approximation on [−7.9, 7.9] (Eigen's `generic_fast_tanh_float`
    /// coefficients), clamped beyond: within 5 ulp of the correctly rounded value, branch-free so
    /// loops over it vectorise; glibc's `tanhf` was half of the training time.
    @inlinable public static func tanh(_ x: Float) -> Float {
        let c: Float = 7.90531110763549805
        let v = Swift.min(Swift.max(x, -c), c)
        let v2 = v * v
        var p: Float = -2.76076847742355e-16
        p = v2 * p + 2.00018790482477e-13
        p = v2 * p + -8.60467152213735e-11
        p = v2 * p + 5.12229709037114e-08
        p = v2 * p + 1.48572235717979e-05
        p = v2 * p + 6.37261928875436e-04
        p = v2 * p + 4.89352455891786e-03
        p = v * p
        var q: Float = 1.19825839466702e-06
        q = v2 * q + 1.18534705686654e-04
        q = v2 * q + 2.26843463243900e-03
        q = v2 * q + 4.89352518554385e-03
        return Swift.abs(x) < 0.0004 ? x : p / q
    }
    @inlinable public static func exp(_ x: Float) -> Float { Foundation.expf(x) }
    @inlinable public static func log(_ x: Float) -> Float { Foundation.logf(x) }
    @inlinable public static func log1p(_ x: Float) -> Float { Foundation.log1pf(x) }

    /// softplus(x) = max(x, 0) + log1p(e^(−|x|)), branch-free so loops over it vectorise:
    /// e^(−|x|) by Cephes' `expf` (Cody–Waite reduction, degree-6 polynomial, 2ⁿ from the
    /// exponent bits), log1p(t) = 2·atanh(t/(2 + t)) by its odd series to s¹¹ (s ≤ 1/3).
    /// Within 4 ulp of the correctly rounded value over Float's normal range (tested); 0 below
    /// e^−87.3. libm's log1pf and expf were a third of the sampling time.
    @inlinable public static func fastSoftplus(_ x: Float) -> Float {
        let y = Swift.max(-Swift.abs(x), -87.3)
        let shifter: Float = 12_582_912  // 1.5·2²³: adding and subtracting it rounds to an integer
        let n = (y * 1.44269504088896341 + shifter) - shifter
        var r = y - n * 0.693359375
        r = r - n * -2.12194440e-4
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let e = (p * r * r + r + 1) * Float(bitPattern: UInt32(truncatingIfNeeded: Int32(n) + 127) << 23)
        let t = y > -87.3 ? e : 0  // below e^−87.3 the result would leave Float's normal range
        let s = t / (2 + t), s2 = s * s
        var q: Float = 1 / 11
        q = q * s2 + 1 / 9
        q = q * s2 + 1 / 7
        q = q * s2 + 1 / 5
        q = q * s2 + 1 / 3
        q = q * s2 + 1
        return Swift.max(x, 0) + 2 * s * q
    }
}

extension Double: BLASScalar {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inlinable public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
    @inlinable public static func fastSoftplus(_ x: Double) -> Double { softplus(x) }
}

/// Makes OpenBLAS run each call on the calling thread: the flow's matrices are small, and
/// DIGS parallelises across rows and galaxies itself (two BLAS threads per tiny product
/// spend their time synchronising).
public func useSingleThreadedBLAS() {
    openblas_set_num_threads(1)
}

extension BLASScalar {
    /// softplus(x) = log(1 + eˣ), stable for large |x| (libm).
    @inlinable static func softplus(_ x: Self) -> Self {
        x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
    }

    /// The logistic sigmoid 1/(1 + e^(−x)), the derivative of softplus.
    @inlinable static func sigmoid(_ x: Self) -> Self {
        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
    }
}
