import DigsCore
import Foundation
import ProductIO

/// The autoregressive neural spline flow (sbi's `nsf`; nflows'
/// `MaskedPiecewiseRationalQuadraticAutoregressiveTransform`): each transform is a monotone
/// rational-quadratic spline of `train.num_bins` bins on [−`tail_bound`, `tail_bound`] with
/// linear tails (`RationalQuadraticSpline`), its 3K − 1 values per parameter given by the MADE.
public enum NeuralSplineFlowFamily: AutoregressiveFlowFamily {
    public static let name = "nsf"
    /// sbi's defaults.
    public static let defaultBins = 10
    public static let defaultTailBound = 3.0

    public static func validate(_ settings: TrainingSettings) throws {
        if let bins = settings.numBins, bins < 2 || bins > 64 {
            throw DigsError.invalidInput(field: "train.num_bins", problem: "must be 2…64 bins (is \(bins))")
        }
        if let bound = settings.tailBound, !(bound > 0 && bound <= 100) {
            throw DigsError.invalidInput(field: "train.tail_bound", problem: "must be in (0, 100] standardised units (is \(bound))")
        }
    }

    public static func describe(_ settings: TrainingSettings) -> String {
        String(format: "spline flow (%d bins on ±%g)", settings.numBins ?? defaultBins, settings.tailBound ?? defaultTailBound)
    }

    public static let outputRows = "rows (3K-1)i...: K widths, K heights, K-1 derivatives of feature i's spline"

    public static func architecture(_ settings: TrainingSettings, features: Int, context: Int) -> MAFArchitecture {
        architecture(settings, features: features, context: context, splineBins: settings.numBins ?? defaultBins,
                     splineTailBound: settings.tailBound ?? defaultTailBound)
    }

    public static func rootAttributes(_ architecture: MAFArchitecture) -> [String: AttributeValue] {
        ["spline_bins": .int(Int64(architecture.splineBins)), "spline_tail_bound": .double(architecture.splineTailBound)]
    }

    public static func splineShape(_ product: Product) throws -> (bins: Int, tailBound: Double) {
        let (file, path) = (product.file, product.path)
        let bins = try FlowModelFile.int(file, "spline_bins", path)
        guard bins >= 2, bins <= 64 else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'spline_bins'", problem: "is \(bins); a spline has 2 … 64 bins")
        }
        guard let bound = try file.attribute("spline_tail_bound")?.doublesValue?.first, bound > 0, bound.isFinite else {
            throw DigsError.invalidProduct(path: path, field: "root attribute 'spline_tail_bound'",
                                           problem: "is missing or not a positive number")
        }
        return (bins, bound)
    }
}
