/// The masks of a MADE network with sequential degrees, as nflows builds them
/// (`nflows/transforms/made.py`, `random_mask=False`):
/// inputs have degrees 1…D; hidden unit j has degree (j mod max(1, D−1)) + min(1, D−1);
/// a hidden connection is allowed when out-degree ≥ in-degree; an output for feature i
/// (degree i + 1; each feature has `multiplier` consecutive outputs) sees a hidden unit of
/// degree < i + 1. So output i depends only on inputs 1…i: the autoregressive property.
public struct MADEMasks: Sendable, Equatable {
    public let features: Int
    public let hidden: Int
    public let multiplier: Int
    /// [hidden × features], 1 where the weight exists.
    public let input: [UInt8]
    /// [hidden × hidden], used by both hidden layers (same degrees on both sides).
    public let hiddenToHidden: [UInt8]
    /// [features·multiplier × hidden].
    public let output: [UInt8]
    /// Degree of each hidden unit: it depends on inputs 1…degree only.
    public let hiddenDegrees: [Int]

    public init(features d: Int, hidden h: Int, multiplier: Int) {
        let inDegrees = (0..<d).map { $0 + 1 }
        let hiddenDegrees = (0..<h).map { $0 % max(1, d - 1) + min(1, d - 1) }
        let outDegrees = (0..<(d * multiplier)).map { $0 / multiplier + 1 }
        features = d
        hidden = h
        self.multiplier = multiplier
        self.hiddenDegrees = hiddenDegrees
        input = hiddenDegrees.flatMap { o in inDegrees.map { o >= $0 ? 1 : 0 } }
        hiddenToHidden = hiddenDegrees.flatMap { o in hiddenDegrees.map { o >= $0 ? 1 : 0 } }
        output = outDegrees.flatMap { o in hiddenDegrees.map { o > $0 ? 1 : 0 } }
    }
}
