/// Independent, reproducible random streams derived from one run seed.
///
/// A stream is identified by a purpose (e.g. `.priorDraws`, `.noise`) and an index (a galaxy
/// or row number). Its generator depends only on (seed, purpose, index), never on thread
/// count or shard layout, so the union of sharded runs equals an unsharded run.
/// Derivation: the three values are folded through the `SplitMix64` finaliser and the result
/// seeds `Xoshiro256StarStar` (whose seeding expands it again with SplitMix64).
public struct RandomStreams: Sendable, Equatable {
    /// The run seed recorded in every product's provenance.
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    /// What a stream is used for; distinct purposes never share a stream.
    public struct Purpose: RawRepresentable, Hashable, Sendable {
        public let rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }
        public static let priorDraws = Purpose(rawValue: 1)
        public static let noise = Purpose(rawValue: 2)
        public static let training = Purpose(rawValue: 3)
        public static let posteriorSampling = Purpose(rawValue: 4)
        public static let mcmc = Purpose(rawValue: 5)
        /// The single noise draw that turns a noiseless test spectrum into an observation.
        public static let observation = Purpose(rawValue: 6)
        /// Rank tie-breaking and TARP reference points of the calibration checks.
        public static let calibration = Purpose(rawValue: 7)
        public static let testing = Purpose(rawValue: 99)
    }

    /// The generator of stream `index` for `purpose`.
    public func generator(_ purpose: Purpose, index: UInt64 = 0) -> Xoshiro256StarStar {
        let a = SplitMix64.mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        let b = SplitMix64.mix(a ^ (purpose.rawValue &* 0xD1B5_4A32_D192_ED03))
        let c = SplitMix64.mix(b ^ (index &* 0x8CB9_2BA7_2F3D_8DD7 &+ 0x632B_E59B_D9B4_E019))
        return Xoshiro256StarStar(seed: c)
    }
}
