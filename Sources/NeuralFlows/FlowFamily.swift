import DigsCore
import Foundation
import ProductIO

/// A family of normalising flows, behind one interface for training and writing as well as
/// sampling. `train.flow` and a `flow_model`'s `architecture` attribute name a family, and
/// `FlowFamilies.registered` lists the families of this build: a new family is one type that
/// conforms to this (with a network that is a `TrainableFlow` and a flow that is a
/// `TrainedFlow`), one line in that list, and its tests.
public protocol FlowFamily: Sendable {
    /// Its name in `train.flow` and in `flow_model`'s `architecture` attribute.
    static var name: String { get }
    /// Checks the settings that are this family's own (and refuses those of other families).
    static func validate(_ settings: TrainingSettings) throws
    /// What the training log says it trains ("MAF", "spline flow (10 bins on ±3)").
    static func describe(_ settings: TrainingSettings) -> String
    /// The number of weights of its network for θ of `features` parameters and a context of
    /// `context` values (for the pre-flight memory and disk estimate).
    static func weightCount(_ settings: TrainingSettings, features: Int, context: Int) -> Int
    /// An untrained network, every initial weight drawn from `generator`.
    static func makeNetwork(_ settings: TrainingSettings, features: Int, context: Int,
                            generator: inout Xoshiro256StarStar) -> any TrainableFlow
    /// The flow of a `flow_model` product of this family, with its stored (best) weights; every
    /// size and value it takes from the file is checked first.
    static func read(_ product: Product) throws -> any TrainedFlow
}

/// What `FlowTrainer` needs of a family's network: its weights as one vector, the mask of
/// those that exist, and log q(u | x) with its exact gradient, on standardised coordinates.
public protocol TrainableFlow: AnyObject, Sendable {
    /// Every weight, in the network's own layout.
    var parameters: [Float] { get set }
    /// 1 where a weight exists, 0 where the architecture removes it (same layout).
    var mask: [Float] { get }
    /// Parameters of θ (u's width) and context values (x's width).
    var features: Int { get }
    var contextCount: Int { get }
    /// A description of its shape that two networks share exactly when their weights are
    /// interchangeable (a resumed training checks it).
    var shapeDescription: String { get }
    /// Buffers for batches of up to `rows` rows, reused across calls.
    func makeWorkspace(rows: Int) -> AnyObject
    /// log q(u | x) for `rows` rows of u [B × D] and x [B × C], into `logProb` [B]; leaves what
    /// `accumulateGradient` needs in `workspace`.
    func logProb(u: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int, workspace: AnyObject,
                 into logProb: UnsafeMutablePointer<Float>)
    /// Adds Σ_b w_b·∂log q_b/∂parameters into `gradient` for the rows last given to `logProb`.
    func accumulateGradient(weights: UnsafePointer<Float>, rows: Int, workspace: AnyObject,
                            gradient: UnsafeMutablePointer<Float>)
    /// The flow in physical units with these weights (a copy; this network is not changed).
    func trained(parameters: [Float], standardization: Standardization, parameterNames: [String],
                 contextLayout: ContextLayout) throws -> any TrainedFlow
}

/// A trained flow as a `flow_model` product holds it: the posterior inference uses, plus what
/// writing it and resuming its training need.
public protocol TrainedFlow: PosteriorFlow {
    /// The map between physical θ, x and the network's coordinates.
    var standardization: Standardization { get }
    /// Its network, with the flow's weights.
    var trainable: any TrainableFlow { get }
    /// Writes its network (weights, masks, whatever else fixes it) and its family's root
    /// attributes into a `flow_model` being written; `FlowModelFile` writes the rest.
    func writeNetwork(to writer: ProductWriter) throws
}

/// The flow families this build of DIGS knows.
public enum FlowFamilies {
    /// Every family, by the name `train.flow` and `flow_model` use.
    public static let registered: [any FlowFamily.Type] = [MaskedAutoregressiveFlowFamily.self, NeuralSplineFlowFamily.self]

    /// The names of `registered`, for messages.
    public static var names: String { registered.map { $0.name }.joined(separator: ", ") }

    /// The family called `name`, or nil.
    public static func named(_ name: String) -> (any FlowFamily.Type)? {
        registered.first { $0.name == name }
    }
}
