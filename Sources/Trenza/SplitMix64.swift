/// A small, fast, reproducible generator (Steele, Lea and Flood's SplitMix64).
///
/// Inlinable because other modules call it in tight loops (the server's sample bytes, eight
/// bytes a call): as a call across modules it was a fifth of the server's CPU under the
/// downloader benchmark.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64
    @inlinable package init(seed: UInt64) { state = seed }

    @inlinable package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in [0, 1) with 53 random bits.
    @inlinable package mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }
}
