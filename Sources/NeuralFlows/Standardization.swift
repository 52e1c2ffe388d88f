import DigsCore
import Foundation

/// The fixed maps between physical and network coordinates, stored with the flow so a
/// trained model is self-contained.
///
/// θ: the prior box [low, high] is mapped to ℝ by y = logit((θ − low)/(high − low)) (or its
/// probit, `ThetaTransform`), then z-scored: u = (y − μ_y)/σ_y. So every sample mapped back lies
/// inside the prior.
/// x: z-scored per entry, (x − μ_x)/σ_x, after the `ContextTransform`.
public struct Standardization: Codable, Equatable, Sendable {
    public var low: [Double]
    public var high: [Double]
    public var thetaMean: [Double]
    public var thetaStd: [Double]
    public var xMean: [Double]
    public var xStd: [Double]
    /// What x becomes before z-scoring (xMean and xStd are of that).
    public var contextTransform: ContextTransform
    /// The layout of the raw context (where its flux and mask entries are).
    public var layout: ContextLayout
    /// How θ's box is mapped to ℝ before z-scoring (thetaMean and thetaStd are of that).
    public var thetaTransform: ThetaTransform

    /// Smallest σ used for z-scoring (a constant pixel or parameter).
    public static let minimumStd = 1e-8

    public init(low: [Double], high: [Double], thetaMean: [Double], thetaStd: [Double], xMean: [Double], xStd: [Double],
                contextTransform: ContextTransform = .pixels, layout: ContextLayout = .flux, thetaTransform: ThetaTransform = .logit) {
        self.low = low
        self.high = high
        self.thetaMean = thetaMean
        self.thetaStd = thetaStd
        self.xMean = xMean
        self.xStd = xStd
        self.contextTransform = contextTransform
        self.layout = layout
        self.thetaTransform = thetaTransform
    }

    /// Length of the raw context the flow takes (its encoding of an observation).
    public var rawContextCount: Int { xMean.count - contextTransform.extraEntries }

    /// u for one θ row, and log|du/dθ| (so log q(θ) = log q(u) + logJacobian).
    public func forward(theta: ArraySlice<Double>) -> (u: [Double], logJacobian: Double) {
        var u = [Double](repeating: 0, count: low.count)
        var lj = 0.0
        for (i, value) in theta.enumerated() {
            let (y, j) = thetaTransform.forward(value, low: low[i], high: high[i])
            u[i] = (y - thetaMean[i]) / thetaStd[i]
            lj += j - Foundation.log(thetaStd[i])
        }
        return (u, lj)
    }

    /// θ for one u row, and log|du/dθ| at that θ.
    public func inverse(u: ArraySlice<Double>) -> (theta: [Double], logJacobian: Double) {
        var theta = [Double](repeating: 0, count: low.count)
        var lj = 0.0
        for (i, value) in u.enumerated() {
            let (t, j) = thetaTransform.inverse(value * thetaStd[i] + thetaMean[i], low: low[i], high: high[i])
            theta[i] = t
            lj += j - Foundation.log(thetaStd[i])
        }
        return (theta, lj)
    }

    /// Standardised x for one row.
    public func standardize<C: Collection>(x: C) -> [Float] where C.Element == Float {
        zip(contextTransform.apply(x, layout: layout), zip(xMean, xStd)).map { Float((Double($0) - $1.0) / $1.1) }
    }

    /// Means and standard deviations (n − 1) of columns, with σ floored at `minimumStd`.
    public static func moments(rows: Int, columns: Int, value: (Int, Int) -> Double) -> (mean: [Double], std: [Double]) {
        var mean = [Double](repeating: 0, count: columns), m2 = mean
        for r in 0..<rows {
            for c in 0..<columns {
                let v = value(r, c)
                let delta = v - mean[c]
                mean[c] += delta / Double(r + 1)
                m2[c] += delta * (v - mean[c])
            }
        }
        return (mean, m2.map { max((rows > 1 ? $0 / Double(rows - 1) : 0).squareRoot(), minimumStd) })
    }
}
