import DigsCore

/// Training settings; the defaults are `sbi`'s (DESIGN §4) with the paper's 25 × 10 flow.
public struct TrainingSettings: Codable, Equatable, Sendable {
    public var hiddenFeatures = 25
    public var numTransforms = 10
    public var learningRate = 5e-4
    public var batchSize = 200
    public var validationFraction = 0.1
    /// Stop after this many epochs without a lower validation loss.
    public var stopAfterEpochs = 20
    public var maxEpochs = 1000
    /// Gradient-norm clipping threshold (L2 over all parameters).
    public var clipMaxNorm = 5.0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case hiddenFeatures = "hidden_features", numTransforms = "num_transforms", learningRate = "learning_rate"
        case batchSize = "batch_size", validationFraction = "validation_fraction", stopAfterEpochs = "stop_after_epochs"
        case maxEpochs = "max_epochs", clipMaxNorm = "clip_max_norm"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingSettings()
        hiddenFeatures = try c.decodeIfPresent(Int.self, forKey: .hiddenFeatures) ?? d.hiddenFeatures
        numTransforms = try c.decodeIfPresent(Int.self, forKey: .numTransforms) ?? d.numTransforms
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? d.learningRate
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        validationFraction = try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? d.validationFraction
        stopAfterEpochs = try c.decodeIfPresent(Int.self, forKey: .stopAfterEpochs) ?? d.stopAfterEpochs
        maxEpochs = try c.decodeIfPresent(Int.self, forKey: .maxEpochs) ?? d.maxEpochs
        clipMaxNorm = try c.decodeIfPresent(Double.self, forKey: .clipMaxNorm) ?? d.clipMaxNorm
        try validate()
    }

    public func validate() throws {
        func bad(_ f: String, _ p: String) -> DigsError { .invalidInput(field: "train.\(f)", problem: p) }
        guard hiddenFeatures >= 1 else { throw bad("hidden_features", "must be at least 1") }
        guard numTransforms >= 1 else { throw bad("num_transforms", "must be at least 1") }
        guard learningRate > 0 else { throw bad("learning_rate", "must be positive") }
        guard batchSize >= 2 else { throw bad("batch_size", "must be at least 2") }
        guard validationFraction > 0, validationFraction < 1 else { throw bad("validation_fraction", "must be in (0, 1)") }
        guard stopAfterEpochs >= 1, maxEpochs >= 1 else { throw bad("stop_after_epochs", "and max_epochs must be at least 1") }
        guard clipMaxNorm > 0 else { throw bad("clip_max_norm", "must be positive") }
    }
}
