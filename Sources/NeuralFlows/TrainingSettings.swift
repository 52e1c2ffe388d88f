import DigsCore
import Foundation

/// How the learning rate moves over training.
public enum LearningRateSchedule: String, Codable, Sendable, CaseIterable, SettingChoice {
    /// Constant, or reduced on plateaus (`lr_decay_factor` < 1), ending below `min_learning_rate`.
    case plateau
    /// Cosine annealing per epoch from `learning_rate` at epoch 0 to `min_learning_rate` at
    /// `max_epochs` (Loshchilov & Hutter 2017, without restarts).
    case cosine
}

/// Training settings; the defaults are `sbi`'s with the paper's 25 × 10 flow.
public struct TrainingSettings: Settings {
    /// The flow family's name (`FlowFamilies.registered`); `maf` when not given (the encoded
    /// settings of a MAF are then as before).
    public var flow: String?
    public var hiddenFeatures = 25
    public var numTransforms = 10
    /// Bins of each spline (`flow: nsf` only, `NeuralSplineFlowFamily`; 10 when not given, sbi's default).
    public var numBins: Int?
    /// Half-width of the splines' interval in standardised θ (`flow: nsf` only; 3 when not given, sbi's).
    public var tailBound: Double?
    /// Widths of an embedding network's tanh layers between x and the flow, trained jointly
    /// ([] = none: the flow sees x itself, as the paper's and sbi's default).
    public var embeddingFeatures: [Int] = []
    /// How θ's prior box is mapped to ℝ (`logit` when not given: sbi's; `probit`: Φ⁻¹).
    public var thetaTransform: ThetaTransform?
    /// What the context becomes before z-scoring (`pixels`: itself, sbi's way; `level_shape`:
    /// the spectrum's mean log flux and each pixel relative to it).
    public var contextTransform = ContextTransform.pixels
    public var learningRate = 5e-4
    public var batchSize = 200
    public var validationFraction = 0.1
    /// Stop after this many epochs without a lower validation loss.
    public var stopAfterEpochs = 20
    public var maxEpochs = 1000
    /// Gradient-norm clipping threshold (L2 over all parameters).
    public var clipMaxNorm = 5.0
    /// Reduce-on-plateau: the learning rate is multiplied by this after every
    /// `lrDecayPatience` epochs without a lower validation loss (1 = constant rate, sbi's way).
    public var lrDecayFactor = 1.0
    public var lrDecayPatience = 5
    /// Training ends once the decayed rate falls below this (0 = never; early stopping still
    /// applies); with the cosine schedule, the rate it reaches at `max_epochs`.
    public var minLearningRate = 0.0
    public var lrSchedule = LearningRateSchedule.plateau
    /// The flow learns q(the other parameters | x) only, and inference completes every draw
    /// with log_mass from its exact conditional posterior p(log_mass | others, x) — a truncated
    /// Gaussian in closed form, because log_mass shifts every log-flux pixel alike — so
    /// q(θ | x) = q(others | x) · p(log_mass | others, x) (`AnalyticMassPosterior`). Needs a
    /// uniform log_mass prior. nil or false: the flow learns every parameter (sbi's way).
    public var analyticMass: Bool?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case flow, numBins = "num_bins", tailBound = "tail_bound"
        case hiddenFeatures = "hidden_features", numTransforms = "num_transforms", learningRate = "learning_rate"
        case embeddingFeatures = "embedding_features", contextTransform = "context_transform", thetaTransform = "theta_transform"
        case batchSize = "batch_size", validationFraction = "validation_fraction", stopAfterEpochs = "stop_after_epochs"
        case maxEpochs = "max_epochs", clipMaxNorm = "clip_max_norm", lrDecayFactor = "lr_decay_factor"
        case lrDecayPatience = "lr_decay_patience", minLearningRate = "min_learning_rate"
        case lrSchedule = "lr_schedule", analyticMass = "analytic_mass"
    }


    /// The θ map (`logit` when not given).
    public var resolvedThetaTransform: ThetaTransform { thetaTransform ?? .logit }
    /// The flow's family (`maf` when not given).
    public func flowFamily() throws -> any FlowFamily.Type {
        let name = flow ?? MaskedAutoregressiveFlowFamily.name
        guard let family = FlowFamilies.named(name) else {
            throw DigsError.invalidInput(field: "train.flow", problem: "is '\(name)'; expected one of \(FlowFamilies.names)")
        }
        return family
    }

    public func validate() throws {
        func bad(_ f: String, _ p: String) -> DigsError { .invalidInput(field: "train.\(f)", problem: p) }
        try flowFamily().validate(self)
        guard hiddenFeatures >= 1 else { throw bad("hidden_features", "must be at least 1 (is \(hiddenFeatures))") }
        guard numTransforms >= 1 else { throw bad("num_transforms", "must be at least 1 (is \(numTransforms))") }
        guard embeddingFeatures.allSatisfy({ $0 >= 1 }) else {
            throw bad("embedding_features", "must list layer widths of at least 1 (is \(embeddingFeatures))")
        }
        guard learningRate > 0 else { throw bad("learning_rate", "must be positive (is \(learningRate))") }
        guard batchSize >= 2 else { throw bad("batch_size", "must be at least 2 (is \(batchSize))") }
        guard validationFraction > 0, validationFraction < 1 else { throw bad("validation_fraction", "must be in (0, 1) (is \(validationFraction))") }
        guard stopAfterEpochs >= 1, maxEpochs >= 1 else { throw bad("stop_after_epochs", "and max_epochs must be at least 1") }
        guard clipMaxNorm > 0 else { throw bad("clip_max_norm", "must be positive (is \(clipMaxNorm))") }
        guard lrDecayFactor > 0, lrDecayFactor <= 1 else { throw bad("lr_decay_factor", "must be in (0, 1] (is \(lrDecayFactor))") }
        guard lrDecayPatience >= 1 else { throw bad("lr_decay_patience", "must be at least 1") }
        guard lrSchedule == .plateau || lrDecayFactor == 1 else {
            throw bad("lr_decay_factor", "is \(lrDecayFactor), but it belongs to lr_schedule plateau; the cosine schedule sets every epoch's rate itself (remove lr_decay_factor, or use lr_schedule: plateau)")
        }
        guard minLearningRate >= 0, minLearningRate < learningRate else {
            throw bad("min_learning_rate", "must be at least 0 and below learning_rate")
        }
    }

    /// The learning rate for the epoch after the given validation losses: replayed from the
    /// history, so a resumed run continues with exactly the rate it stopped at.
    public func learningRate(after validationLoss: [Double]) -> Double {
        if lrSchedule == .cosine {
            let progress = min(1, Double(validationLoss.count) / Double(maxEpochs))
            return minLearningRate + (learningRate - minLearningRate) * (1 + cos(Double.pi * progress)) / 2
        }
        var rate = learningRate, best = Double.infinity, since = 0
        for loss in validationLoss {
            if loss < best {
                best = loss
                since = 0
            } else {
                since += 1
                if since % lrDecayPatience == 0 { rate *= lrDecayFactor }
            }
        }
        return rate
    }
}
