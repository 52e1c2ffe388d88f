/// SplitMix64 (Steele, Lea & Flood 2014; Vigna's reference `splitmix64.c`).
///
/// Used only to expand a 64-bit seed into the 256-bit state of `Xoshiro256StarStar`, as the
/// xoshiro authors recommend, and to hash stream indices into independent seeds.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The 64-bit counter state.
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next 64-bit output.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// The SplitMix64 output function: a bijective 64-bit finaliser with good avalanche.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
