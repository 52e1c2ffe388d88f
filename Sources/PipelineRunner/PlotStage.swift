import DigsCore
import Foundation
import Plotting
import ProductIO

/// `digs plot`: figures of a run from its products, as PNG and PDF in `<output>/figures/`:
/// the training curve (flow_model), the SBC rank histograms and the coverage curves
/// (sbc_result).
public enum PlotStage {
    public enum Figure: String, CaseIterable, Sendable {
        case training, ranks, coverage
    }

    /// Draws `figures` and returns the paths written.
    @discardableResult
    public static func run(figures: [Figure], flowPath: String, sbcPath: String, folder: String,
                           log: (String) -> Void) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var written = [String]()
        for figure in figures {
            for format in [Canvas.Format.png, .pdf] {
                let path = "\(folder)/\(figure.rawValue).\(format.rawValue)"
                switch figure {
                case .training:
                    let flow = try Product.open(flowPath, expecting: .flowModel)
                    let train: [Double] = try flow.dataset("training/train_loss", rank: 1).read(as: Double.self).data
                    let validation: [Double] = try flow.dataset("training/val_loss", rank: 1).read(as: Double.self).data
                    guard !train.isEmpty else {
                        throw DigsError.invalidProduct(path: flowPath, field: "training/train_loss", problem: "is empty: the flow has no training history")
                    }
                    let best = Int(try flow.file.attribute("best_epoch")?.intValue ?? 0)
                    try Figures.trainingCurve(train: train, validation: validation, bestEpoch: best, path: path, format: format)
                case .ranks, .coverage:
                    let sbc = try Product.open(sbcPath, expecting: .sbcResult)
                    let names = try sbc.file.attribute("parameter_names")?.stringsValue ?? []
                    let ranks: NDArray<Int64> = try sbc.dataset("ranks", rank: 2).read()
                    let (g, d) = (ranks.shape[0], ranks.shape[1])
                    if figure == .ranks {
                        let rows = (0..<g).map { r in (0..<d).map { Int(ranks.data[r * d + $0]) } }
                        try Figures.rankHistograms(ranks: rows, samples: Int(try sbc.file.attribute("samples_per_galaxy")?.intValue ?? 0),
                                                   names: names, bins: Int(try sbc.file.attribute("histogram_bins")?.intValue ?? 20),
                                                   path: path, format: format)
                    } else {
                        let levels: [Double] = try sbc.dataset("coverage_levels", rank: 1).read(as: Double.self).data
                        let marginal: [Double] = try sbc.dataset("coverage_marginal", rank: 2).read(as: Double.self).data
                        try Figures.coverage(levels: levels, marginal: levels.indices.map { Array(marginal[($0 * d)..<(($0 + 1) * d)]) },
                                             joint: try sbc.dataset("coverage_joint", rank: 1).read(as: Double.self).data,
                                             names: names, galaxies: g, path: path, format: format)
                    }
                }
                written.append(path)
            }
            log("drew \(folder)/\(figure.rawValue).png and .pdf")
        }
        return written
    }
}
