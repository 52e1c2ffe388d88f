import DigsCore
import Foundation
import NeuralFlows
import Testing

/// The flow's density, gradient and sampling against independent truths: central finite
/// differences, numerical integration, and the forward pass.
struct MAFNetworkTests {
    static let small = MAFArchitecture(features: 3, context: 4, hidden: 7, transforms: 2)
    /// The same with a two-layer embedding network between x and the MADEs.
    static let embedded = MAFArchitecture(features: 3, context: 4, hidden: 7, transforms: 2, embedding: [6, 5])
    /// Rational-quadratic spline transforms instead of affine ones (a neural spline flow).
    static let spline = MAFArchitecture(features: 3, context: 4, hidden: 7, transforms: 2, embedding: [6, 5], splineBins: 5, splineTailBound: 2.5)

    /// A flow with non-trivial parameters (the default init scaled up so tanh is not linear).
    static func flow(_ a: MAFArchitecture = small, seed: UInt64 = 5, scale: Double = 2.5) -> MAFNetwork<Double> {
        var g = Xoshiro256StarStar(seed: seed)
        let f = MAFNetwork<Double>(architecture: a, generator: &g)
        for i in f.parameters.indices { f.parameters[i] *= scale }
        return f
    }

    static func batch(_ a: MAFArchitecture, rows: Int, seed: UInt64) -> (u: [Double], x: [Double]) {
        var g = Xoshiro256StarStar(seed: seed)
        return ((0..<(rows * a.features)).map { _ in g.nextNormal() }, (0..<(rows * a.context)).map { _ in g.nextNormal() })
    }

    func logProb(_ f: MAFNetwork<Double>, _ u: [Double], _ x: [Double], rows: Int) -> [Double] {
        let ws = MAFNetwork<Double>.Workspace(architecture: f.architecture, capacity: rows)
        var out = [Double](repeating: 0, count: rows)
        out.withUnsafeMutableBufferPointer { o in f.logProb(u: u, x: x, batch: rows, workspace: ws, into: o.baseAddress!) }
        return out
    }

    @Test(arguments: [small, embedded, spline])
    func parameterGradientMatchesCentralDifferences(_ a: MAFArchitecture) {
        let f = Self.flow(a), rows = 4
        let (u, x) = Self.batch(a, rows: rows, seed: 9)
        let w: [Double] = [0.7, -1.3, 0.4, 2.0]
        let ws = MAFNetwork<Double>.Workspace(architecture: f.architecture, capacity: rows)
        var lp = [Double](repeating: 0, count: rows)
        lp.withUnsafeMutableBufferPointer { f.logProb(u: u, x: x, batch: rows, workspace: ws, into: $0.baseAddress!) }
        var grad = [Double](repeating: 0, count: f.parameters.count)
        grad.withUnsafeMutableBufferPointer { g in
            f.backward(weights: w, batch: rows, workspace: ws, gradient: g.baseAddress!)
        }
        f.maskGradient(&grad)
        func loss() -> Double { zip(w, logProb(f, u, x, rows: rows)).reduce(0) { $0 + $1.0 * $1.1 } }
        var worst = 0.0, checked = 0
        for i in f.parameters.indices {
            if f.mask[i] == 0 {
                #expect(grad[i] == 0)
                continue
            }
            let h = 1e-6, saved = f.parameters[i]
            f.parameters[i] = saved + h
            let up = loss()
            f.parameters[i] = saved - h
            let down = loss()
            f.parameters[i] = saved
            let numeric = (up - down) / (2 * h)
            worst = max(worst, abs(numeric - grad[i]) / max(1, abs(numeric)))
            checked += 1
        }
        #expect(checked > 300)
        #expect(worst < 1e-6, "worst relative error \(worst)")
        // Every embedding weight is reached by the gradient (none silently left at 0).
        let l = a.layout
        if let first = l.embeddingWeights.first {
            #expect(grad[first..<l.total].filter { $0 == 0 }.count == 0)
        }
    }

    @Test(arguments: [small, embedded, spline])
    func inputGradientMatchesCentralDifferences(_ a: MAFArchitecture) {
        let f = Self.flow(a), rows = 3
        var (u, x) = Self.batch(a, rows: rows, seed: 10)
        let w: [Double] = [1, 1, 1]
        let ws = MAFNetwork<Double>.Workspace(architecture: f.architecture, capacity: rows)
        var lp = [Double](repeating: 0, count: rows)
        lp.withUnsafeMutableBufferPointer { f.logProb(u: u, x: x, batch: rows, workspace: ws, into: $0.baseAddress!) }
        var grad = [Double](repeating: 0, count: f.parameters.count)
        var gu = [Double](repeating: 0, count: u.count)
        grad.withUnsafeMutableBufferPointer { g in
            gu.withUnsafeMutableBufferPointer { f.backward(weights: w, batch: rows, workspace: ws, gradient: g.baseAddress!, inputGradient: $0.baseAddress!) }
        }
        for i in u.indices {
            let h = 1e-6, saved = u[i]
            u[i] = saved + h
            let up = logProb(f, u, x, rows: rows).reduce(0, +)
            u[i] = saved - h
            let down = logProb(f, u, x, rows: rows).reduce(0, +)
            u[i] = saved
            #expect(abs((up - down) / (2 * h) - gu[i]) < 1e-6)
        }
    }

    @Test(arguments: [([], 0), ([5, 4], 0), ([5, 4], 8)])
    func theDensityIsNormalised(_ embedding: [Int], _ bins: Int) {
        // D = 2: ∫∫ q(u | x) du ≈ 1 on a grid wide enough for the tails.
        let a = MAFArchitecture(features: 2, context: 3, hidden: 6, transforms: 3, embedding: embedding, splineBins: bins)
        // Parameters at 1.5× the default init: far from a standard normal, tails still on the grid.
        let f = Self.flow(a, seed: 21, scale: 1.0)
        let n = 600, lo = -15.0, step = 30.0 / Double(n)
        var u: [Double] = []
        for i in 0..<n { for j in 0..<n { u += [lo + (Double(i) + 0.5) * step, lo + (Double(j) + 0.5) * step] } }
        let x = [Double]((0..<(n * n)).flatMap { _ in [0.3, -1.2, 0.8] })
        let lp = logProb(f, u, x, rows: n * n)
        let total = lp.reduce(0) { $0 + exp($1) } * step * step
        #expect(abs(total - 1) < 2e-3, "integral \(total)")
        // …and the density is not simply the base normal.
        var departure = 0.0
        for r in stride(from: 0, to: n * n, by: 97) {
            let r2: Double = u[2 * r] * u[2 * r] + u[2 * r + 1] * u[2 * r + 1]
            departure = max(departure, abs(lp[r] - (-r2 / 2 - log(2 * Double.pi))))
        }
        #expect(departure > 0.1)
    }

    /// The sampler inverts each transform computing every hidden unit once; the density pass
    /// of its samples must return the same log q (so it also maps them back to the base draws),
    /// for a small flow, a one-parameter flow and the paper's 5-parameter 25 × 10 flow.
    @Test(arguments: [MAFArchitecture(features: 3, context: 4, hidden: 7, transforms: 2),
                      MAFArchitecture(features: 1, context: 4, hidden: 4, transforms: 3),
                      MAFArchitecture(features: 5, context: 4, hidden: 25, transforms: 10),
                      MAFArchitecture(features: 10, context: 4, hidden: 20, transforms: 2),
                      MAFArchitecture(features: 5, context: 4, hidden: 25, transforms: 10, embedding: [16, 8]),
                      MAFArchitecture(features: 1, context: 4, hidden: 4, transforms: 3, splineBins: 4),
                      MAFArchitecture(features: 5, context: 4, hidden: 25, transforms: 5, embedding: [16, 8], splineBins: 10)])
    func samplesCarryTheirForwardLogProbability(_ a: MAFArchitecture) {
        let f = Self.flow(a, scale: a.hidden > 10 ? 1 : 2.5)
        var g = Xoshiro256StarStar(seed: 3)
        let x = [0.5, -0.25, 1.5, 0.0]
        let ws = MAFNetwork<Double>.SamplingScratch(architecture: f.architecture, capacity: 50)
        let (u, logq) = f.sample(x: x, count: 50, generator: &g, scratch: ws, weights: f.samplingWeights())
        let forward = logProb(f, u, [Double]((0..<50).flatMap { _ in x }), rows: 50)
        for i in 0..<50 { #expect(abs(forward[i] - logq[i]) < 1e-8 * max(1, abs(logq[i]))) }
    }

    /// Every weight is drawn once, inside its own block, from U(±1/√fan_in) with the fan-in of
    /// its layer: the context layers see the embedding's last width, not x's.
    @Test(arguments: [[], [3], [6, 50]])
    func initialWeightsFillTheirBlocks(_ embedding: [Int]) {
        let a = MAFArchitecture(features: 3, context: 40, hidden: 7, transforms: 2, embedding: embedding)
        var g = Xoshiro256StarStar(seed: 4)
        let f = MAFNetwork<Double>(architecture: a, generator: &g)
        let l = a.layout, kh = a.transforms * a.hidden
        #expect(f.parameters.count == l.total)
        for i in f.parameters.indices where f.mask[i] != 0 { #expect(f.parameters[i] != 0) }
        let context = f.parameters[l.contextWeights..<(l.contextWeights + kh * a.contextFeatures)]
        let bound = 1 / Double(a.contextFeatures).squareRoot()
        let rms = (context.reduce(0) { $0 + $1 * $1 } / Double(context.count)).squareRoot()
        #expect(context.allSatisfy { abs($0) <= bound })
        #expect(abs(rms / (bound / 3.0.squareRoot()) - 1) < 0.25, "rms \(rms) for a bound \(bound)")
    }

    @Test func outputsAreAutoregressive() {
        // Changing u_j must not change the scale or shift of any u_i with i ≤ j (MADE masks).
        let f = Self.flow()
        let masks = MADEMasks(features: 3, hidden: 7, multiplier: 2)
        // Degree check: output of feature i sees only hidden units of degree < i + 1, and those
        // see only inputs of degree ≤ their own.
        for o in 0..<6 {
            for j in 0..<3 {
                let reachable = (0..<7).contains { hu in masks.output[o * 7 + hu] == 1 && masks.input[hu * 3 + j] == 1 }
                #expect(!reachable || j < o / 2)
            }
        }
        #expect(f.mask.contains(0))
    }
}
