import DigsCore
import Foundation
import NeuralFlows
import Testing

/// The rational-quadratic spline against independent truths: its defining values at the knots,
/// central finite differences of itself, its inverse, and the identity outside its interval.
struct RationalQuadraticSplineTests {
    static let spline = RationalQuadraticSpline<Double>(bins: 6, tailBound: 3, hidden: 4)

    /// Unconstrained values far from zero, so bins, heights and derivatives all differ.
    static func values(seed: UInt64, scale: Double = 1.5) -> [Double] {
        var g = Xoshiro256StarStar(seed: seed)
        return (0..<spline.parameterCount).map { _ in scale * g.nextNormal() }
    }

    func forward(_ x: Double, _ p: [Double]) -> (y: Double, logDet: Double) {
        var scratch = [Double](repeating: 0, count: Self.spline.scratchCount)
        return p.withUnsafeBufferPointer { p in scratch.withUnsafeMutableBufferPointer { Self.spline.forward(x, p.baseAddress!, scratch: $0.baseAddress!) } }
    }

    /// The knots written out from the definition (softmax of values/√hidden, minimum sizes).
    func knots(_ p: [Double]) -> (x: [Double], y: [Double], slope: [Double]) {
        let k = 6, c = 2.0, b = 3.0
        func cumulative(_ v: ArraySlice<Double>) -> [Double] {
            let e = v.map { exp($0 / c) }, total = e.reduce(0, +)
            let sizes = e.map { 1e-3 + (1 - Double(k) * 1e-3) * $0 / total }
            var out = [-b]
            for s in sizes { out.append(out.last! + 2 * b * s) }
            return out
        }
        let slopes = [1.0] + p[(2 * k)...].map { 1e-3 + log1p(exp($0)) } + [1.0]
        return (cumulative(p[0..<k]), cumulative(p[k..<(2 * k)]), slopes)
    }

    @Test func knotsMapToKnotsWithTheirSlopes() {
        let p = Self.values(seed: 1)
        let (xs, ys, slopes) = knots(p)
        for j in 0...6 {
            let (y, logDet) = forward(min(xs[j], 3), p)
            #expect(abs(y - ys[j]) < 1e-12, "knot \(j): \(y) vs \(ys[j])")
            #expect(abs(logDet - log(slopes[j])) < 1e-9, "slope at knot \(j)")
        }
    }

    @Test func derivativeAndInverseAgreeWithTheForwardMap() {
        var scratch = [Double](repeating: 0, count: Self.spline.scratchCount)
        for seed in UInt64(2)...6 {
            let p = Self.values(seed: seed)
            var previous = -Double.infinity
            for x in stride(from: -4.0, through: 4.0, by: 0.0173) {
                let (y, logDet) = forward(x, p)
                #expect(y > previous)  // monotone
                previous = y
                let h = 1e-6
                let numeric = (forward(x + h, p).y - forward(x - h, p).y) / (2 * h)
                #expect(abs(log(numeric) - logDet) < 1e-6, "x \(x)")
                let (back, inverseLogDet) = p.withUnsafeBufferPointer { pp in
                    scratch.withUnsafeMutableBufferPointer { Self.spline.inverse(y, pp.baseAddress!, scratch: $0.baseAddress!) }
                }
                #expect(abs(back - x) < 1e-10, "inverse at x \(x): \(back)")
                #expect(abs(inverseLogDet - logDet) < 1e-8)
                if abs(x) > 3 { #expect(y == x && logDet == 0) }
            }
        }
    }

    @Test func gradientMatchesCentralDifferences() {
        var scratch = [Double](repeating: 0, count: Self.spline.scratchCount)
        let (gy, gl) = (0.8, -1.7)
        var worst = 0.0
        for seed in UInt64(7)...10 {
            var p = Self.values(seed: seed)
            for x in [-2.9, -1.3, -0.2, 0.05, 0.7, 1.9, 2.95] {
                var gp = [Double](repeating: 9, count: p.count)
                let gx = p.withUnsafeBufferPointer { pp in
                    gp.withUnsafeMutableBufferPointer { g in
                        scratch.withUnsafeMutableBufferPointer {
                            Self.spline.backward(x, pp.baseAddress!, gy: gy, gl: gl, gp: g.baseAddress!, scratch: $0.baseAddress!)
                        }
                    }
                }
                func loss(_ x: Double, _ p: [Double]) -> Double { let f = forward(x, p); return gy * f.y + gl * f.logDet }
                let h = 1e-6
                worst = max(worst, abs((loss(x + h, p) - loss(x - h, p)) / (2 * h) - gx))
                for i in p.indices {
                    let saved = p[i]
                    p[i] = saved + h
                    let up = loss(x, p)
                    p[i] = saved - h
                    let down = loss(x, p)
                    p[i] = saved
                    worst = max(worst, abs((up - down) / (2 * h) - gp[i]))
                }
            }
        }
        #expect(worst < 1e-6, "worst absolute error \(worst)")
    }

    @Test func outsideTheIntervalItIsTheIdentityWithoutGradient() {
        var scratch = [Double](repeating: 0, count: Self.spline.scratchCount)
        let p = Self.values(seed: 11)
        var gp = [Double](repeating: 9, count: p.count)
        let gx = p.withUnsafeBufferPointer { pp in
            gp.withUnsafeMutableBufferPointer { g in
                scratch.withUnsafeMutableBufferPointer {
                    Self.spline.backward(5.5, pp.baseAddress!, gy: 0.3, gl: 2, gp: g.baseAddress!, scratch: $0.baseAddress!)
                }
            }
        }
        #expect(gx == 0.3)
        #expect(gp.allSatisfy { $0 == 0 })
        #expect(forward(-7, p).y == -7)
    }
}
