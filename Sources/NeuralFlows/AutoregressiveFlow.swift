import DigsCore
import Foundation

/// The masked autoregressive flow (sbi's `maf`, or with spline transforms an autoregressive
/// neural spline flow, `nsf`): the network on standardised coordinates plus the
/// `Standardization` that maps to and from them.
public final class AutoregressiveFlow: PosteriorFlow, @unchecked Sendable {
    public let network: MAFNetwork<Float>
    public let standardization: Standardization
    public let parameterNames: [String]
    /// What the context vector holds (`x` of `logProb` and `sample` is its encoding).
    public let contextLayout: ContextLayout
    /// The network's weights arranged for sampling, made once: the network is not changed afterwards.
    let samplingWeights: MAFNetwork<Float>.SamplingWeights

    public init(network: MAFNetwork<Float>, standardization: Standardization, parameterNames: [String],
                contextLayout: ContextLayout = .flux) throws {
        let a = network.architecture
        guard standardization.low.count == a.features, standardization.xMean.count == a.context,
              parameterNames.count == a.features, standardization.layout == contextLayout else {
            throw DigsError.invalidInput(field: "flow", problem: "standardisation or names do not match the architecture \(a)")
        }
        useSingleThreadedBLAS()
        self.network = network
        self.standardization = standardization
        self.parameterNames = parameterNames
        self.contextLayout = contextLayout
        self.samplingWeights = network.samplingWeights()
    }

    public var architecture: MAFArchitecture { network.architecture }
    /// Its family: the MAF's affine transforms, or the spline flow's.
    public var familyType: any AutoregressiveFlowFamily.Type {
        architecture.splineBins == 0 ? MaskedAutoregressiveFlowFamily.self : NeuralSplineFlowFamily.self
    }
    public var family: String { familyType.name }
    public var priorLow: [Double] { standardization.low }
    public var priorHigh: [Double] { standardization.high }

    /// log q(θ | x) for rows of θ [N × D] and x [N × C] (physical units).
    public func logProb(theta: NDArray<Double>, x: NDArray<Float>) throws -> [Double] {
        let a = architecture
        let c = standardization.rawContextCount
        guard theta.shape == [theta.shape[0], a.features], x.shape == [theta.shape[0], c] else {
            throw DigsError.invalidInput(field: "logProb",
                                         problem: "θ \(theta.shape) and x \(x.shape) must be [N, \(a.features)] and [N, \(c)]")
        }
        let n = theta.shape[0], chunk = 1024
        var out = [Double](repeating: 0, count: n)
        let ws = MAFNetwork<Float>.Workspace(architecture: a, capacity: min(chunk, max(n, 1)))
        var start = 0
        while start < n {
            let rows = min(chunk, n - start)
            var u = [Float](), xs = [Float](), jac = [Double]()
            for r in start..<(start + rows) {
                let (ur, j) = standardization.forward(theta: theta.row(r))
                u += ur.map(Float.init)
                jac.append(j)
                xs += standardization.standardize(x: x.row(r))
            }
            var lp = [Float](repeating: 0, count: rows)
            lp.withUnsafeMutableBufferPointer { network.logProb(u: u, x: xs, batch: rows, workspace: ws, into: $0.baseAddress!) }
            for r in 0..<rows { out[start + r] = Double(lp[r]) + jac[r] }
            start += rows
        }
        return out
    }

    /// `count` samples of θ for one observed x (physical units), with their log q(θ | x).
    /// Every sample lies inside the prior box (the logit transform).
    public func sample(x: ArraySlice<Float>, count: Int, generator: inout Xoshiro256StarStar) -> (theta: NDArray<Double>, logProb: [Double]) {
        let a = architecture, chunk = 1024
        let ws = MAFNetwork<Float>.SamplingScratch(architecture: a, capacity: min(chunk, max(count, 1)))
        let xs = standardization.standardize(x: x)
        var theta = [Double](), logq = [Double]()
        theta.reserveCapacity(count * a.features)
        var done = 0
        while done < count {
            let rows = min(chunk, count - done)
            let (u, lq) = network.sample(x: xs, count: rows, generator: &generator, scratch: ws, weights: samplingWeights)
            for r in 0..<rows {
                let (t, j) = standardization.inverse(u: u[(r * a.features)..<((r + 1) * a.features)].map(Double.init)[...])
                theta += t
                logq.append(Double(lq[r]) + j)
            }
            done += rows
        }
        return (try! NDArray(shape: [count, a.features], data: theta), logq)  // count·D values by construction
    }
}
