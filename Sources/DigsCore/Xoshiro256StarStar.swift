import Foundation

/// xoshiro256** 1.0 (Blackman & Vigna 2018), the generator behind every random draw in DIGS.
///
/// Period 2²⁵⁶ − 1, passes BigCrush, ~1 ns per 64-bit output. The state is seeded from a
/// 64-bit seed through `SplitMix64`, as in the reference implementation's recommendation.
/// Use `RandomStreams` to obtain independent generators per galaxy, shard or purpose.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    @usableFromInline var s0, s1, s2, s3: UInt64
    @usableFromInline var spareNormal: Double?

    /// Seeds the 256-bit state with four outputs of `SplitMix64(seed:)`.
    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        self.init(state: (sm.next(), sm.next(), sm.next(), sm.next()))
    }

    /// Creates a generator from its raw state, which must not be all zero.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256** state must not be all zero")
        (s0, s1, s2, s3) = state
        spareNormal = nil
    }

    /// The raw 256-bit state.
    public var state: (UInt64, UInt64, UInt64, UInt64) { (s0, s1, s2, s3) }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inlinable
    func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    /// A uniform variate in [0, 1) with 53 random bits.
    @inlinable
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal variate N(0, 1), by the Box–Muller transform (pairs; the second
    /// value of each pair is kept for the next call).
    @inlinable
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        let u1 = 1.0 - nextUniform()          // (0, 1]: log is finite
        let u2 = nextUniform()
        let r = (-2.0 * log(u1)).squareRoot()
        let angle = 2.0 * Double.pi * u2
        spareNormal = r * sin(angle)
        return r * cos(angle)
    }
}
