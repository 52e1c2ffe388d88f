import DigsCore
import Foundation
import ProductIO

/// A family whose flow is an `AutoregressiveFlow`: `MAFArchitecture`'s stack of MADE-
/// parametrised autoregressive transforms, the families differing in the elementwise
/// transform each MADE parametrises (and so in its own settings and root attributes). The
/// network, its training and the product's weights, masks and permutations are shared.
public protocol AutoregressiveFlowFamily: FlowFamily {
    /// The flow's shape for these settings.
    static func architecture(_ settings: TrainingSettings, features: Int, context: Int) -> MAFArchitecture
    /// What the MADE's output rows of each parameter hold (the output mask's description).
    static var outputRows: String { get }
    /// The root attributes of `flow_model` that hold this family's own hyper-parameters.
    static func rootAttributes(_ architecture: MAFArchitecture) -> [String: AttributeValue]
    /// The elementwise transform's (bins, tail bound) from a product's root attributes, checked;
    /// (0, 3) for affine transforms.
    static func splineShape(_ product: Product) throws -> (bins: Int, tailBound: Double)
}

extension AutoregressiveFlowFamily {
    public static func weightCount(_ settings: TrainingSettings, features: Int, context: Int) -> Int {
        architecture(settings, features: features, context: context).layout.total
    }

    public static func makeNetwork(_ settings: TrainingSettings, features: Int, context: Int,
                                   generator: inout Xoshiro256StarStar) -> any TrainableFlow {
        MAFNetwork<Float>(architecture: architecture(settings, features: features, context: context), generator: &generator)
    }

    public static func read(_ product: Product) throws -> any TrainedFlow {
        let spline = try splineShape(product)
        return try AutoregressiveFlow.read(product, splineBins: spline.bins, splineTailBound: spline.tailBound)
    }

    /// The shape shared by the autoregressive families, with the given spline.
    static func architecture(_ settings: TrainingSettings, features: Int, context: Int, splineBins: Int,
                             splineTailBound: Double) -> MAFArchitecture {
        MAFArchitecture(features: features, context: context, hidden: settings.hiddenFeatures, transforms: settings.numTransforms,
                        embedding: settings.embeddingFeatures, splineBins: splineBins, splineTailBound: splineTailBound)
    }
}

/// The masked autoregressive flow (sbi's `maf`, the paper's): affine transforms
/// z_i = u_i·s_i(u_<i, x) + t_i(u_<i, x), s = softplus + 10⁻³.
public enum MaskedAutoregressiveFlowFamily: AutoregressiveFlowFamily {
    public static let name = "maf"

    public static func validate(_ settings: TrainingSettings) throws {
        for (key, value) in [("num_bins", settings.numBins.map { "\($0)" }), ("tail_bound", settings.tailBound.map { "\($0)" })] {
            if let value {
                throw DigsError.invalidInput(field: "train.\(key)",
                                             problem: "is \(value), but it belongs to flow: nsf; a MAF has no splines (remove it, or set flow: nsf)")
            }
        }
    }

    public static func describe(_ settings: TrainingSettings) -> String { "MAF" }

    public static let outputRows = "rows 2i: scale, 2i+1: shift of feature i"

    public static func architecture(_ settings: TrainingSettings, features: Int, context: Int) -> MAFArchitecture {
        architecture(settings, features: features, context: context, splineBins: 0, splineTailBound: 3)
    }

    public static func rootAttributes(_ architecture: MAFArchitecture) -> [String: AttributeValue] { [:] }

    public static func splineShape(_ product: Product) throws -> (bins: Int, tailBound: Double) { (0, 3) }
}
