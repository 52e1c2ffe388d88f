import DigsCore
import Foundation

/// A trained conditional density q(θ | x) in physical units, of any flow family: what
/// inference, calibration and the MCMC comparison use. `flow_model` names the family in its
/// `architecture` attribute; `FlowFamily` is how a family is trained, written and read, and
/// `FlowFamilies.registered` lists them.
public protocol PosteriorFlow: AnyObject, Sendable {
    /// The family's name in `flow_model` (`maf`, `nsf`).
    var family: String { get }
    /// The parameters of θ, in order.
    var parameterNames: [String] { get }
    /// What the context vector holds (`x` of `logProb` and `sample` is its encoding).
    var contextLayout: ContextLayout { get }
    /// The prior box [low, high] per parameter the flow was trained on; every sample lies in it.
    var priorLow: [Double] { get }
    var priorHigh: [Double] { get }
    /// log q(θ | x) for rows of θ [N × D] and x [N × C] (physical units).
    func logProb(theta: NDArray<Double>, x: NDArray<Float>) throws -> [Double]
    /// `count` samples of θ for one context x, with their log q(θ | x).
    func sample(x: ArraySlice<Float>, count: Int, generator: inout Xoshiro256StarStar) -> (theta: NDArray<Double>, logProb: [Double])
}
