/// The shape of a masked autoregressive flow q(θ | x) equivalent to `sbi`'s `maf`: `transforms`
/// MADE-parametrised affine autoregressive transforms (two hidden layers of `hidden` tanh units,
/// the context x fed into every MADE), each followed by a fixed permutation; standard normal base.
/// With `splineBins` > 0 each transform is a monotone rational-quadratic spline of that many bins
/// instead of an affine map (nflows' `MaskedPiecewiseRationalQuadraticAutoregressiveTransform`:
/// an autoregressive neural spline flow, `RationalQuadraticSpline`).
/// Optionally an embedding network (sbi's `embedding_net`, trained jointly): tanh layers of the
/// given widths that map x to the features every MADE's context layer sees.
public struct MAFArchitecture: Codable, Equatable, Sendable {
    /// dim θ (D).
    public let features: Int
    /// dim x (C).
    public let context: Int
    /// Hidden units per MADE layer (H).
    public let hidden: Int
    /// Number of autoregressive transforms (K).
    public let transforms: Int
    /// Widths of the embedding network's tanh layers, from x on ([] = none: x itself is the
    /// context of every MADE, sbi's default).
    public let embedding: [Int]
    /// Bins of each transform's rational-quadratic spline (0: affine transforms, the MAF).
    public let splineBins: Int
    /// Half-width of the splines' interval [−B, B] in standardised θ units (linear tails outside).
    public let splineTailBound: Double

    public init(features: Int, context: Int, hidden: Int, transforms: Int, embedding: [Int] = [],
                splineBins: Int = 0, splineTailBound: Double = 3) {
        self.features = features
        self.context = context
        self.hidden = hidden
        self.transforms = transforms
        self.embedding = embedding
        self.splineBins = splineBins
        self.splineTailBound = splineTailBound
    }

    /// MADE outputs per feature: scale and shift (affine), or the spline's 3K − 1 values.
    public var outputsPerFeature: Int { splineBins == 0 ? 2 : 3 * splineBins - 1 }

    /// The spline of every transform, when the flow has one.
    func spline<T: BLASScalar>(_: T.Type) -> RationalQuadraticSpline<T>? {
        splineBins == 0 ? nil : RationalQuadraticSpline<T>(bins: splineBins, tailBound: splineTailBound, hidden: hidden)
    }

    /// Length of what the MADEs' context layers see: the embedding's last width, or C.
    public var contextFeatures: Int { embedding.last ?? context }

    /// Offsets of every parameter block in the flat parameter vector.
    ///
    /// Layout: the context layers of all transforms first (weights [K·H × C′], then biases
    /// [K·H], so one matrix product serves every transform; C′ = `contextFeatures`), then per
    /// transform: input weights [H × D], input bias [H], hidden weights [H × H] and bias [H]
    /// twice, output weights [P·D × H] and bias [P·D] (P = `outputsPerFeature`); last the
    /// embedding layers, each weights [E_l × E_{l−1}] (E₀ = C) then bias [E_l]. Outputs
    /// P·i…P·i + P − 1 belong to feature i (nflows' layout): for the MAF output 2i is the
    /// unconstrained scale of feature i and 2i + 1 its shift; for the spline, K widths, K heights
    /// and K − 1 derivatives.
    public struct Layout: Sendable {
        public let contextWeights: Int
        public let contextBias: Int
        /// Start of transform 0's own block.
        public let transformsStart: Int
        public let perTransform: Int
        public let total: Int
        /// Offsets of embedding layer l's weights and bias.
        public let embeddingWeights: [Int]
        public let embeddingBias: [Int]
        // Offsets inside a transform's block.
        let inWeights = 0
        let inBias: Int
        let hidden1Weights: Int
        let hidden1Bias: Int
        let hidden2Weights: Int
        let hidden2Bias: Int
        let outWeights: Int
        let outBias: Int

        init(_ a: MAFArchitecture) {
            let d = a.features, h = a.hidden, k = a.transforms, o = a.outputsPerFeature
            contextWeights = 0
            contextBias = k * h * a.contextFeatures
            transformsStart = contextBias + k * h
            inBias = h * d
            hidden1Weights = inBias + h
            hidden1Bias = hidden1Weights + h * h
            hidden2Weights = hidden1Bias + h
            hidden2Bias = hidden2Weights + h * h
            outWeights = hidden2Bias + h
            outBias = outWeights + o * d * h
            perTransform = outBias + o * d
            var next = transformsStart + k * perTransform, width = a.context
            var ew: [Int] = [], eb: [Int] = []
            for e in a.embedding {
                ew.append(next)
                eb.append(next + e * width)
                next += e * width + e
                width = e
            }
            embeddingWeights = ew
            embeddingBias = eb
            total = next
        }

        /// The start of transform k's own block.
        func base(_ k: Int) -> Int { transformsStart + k * perTransform }
    }

    public var layout: Layout { Layout(self) }
}
