import Trenza

/// Deterministic pseudo-random bytes, addressable by position: the byte at offset `i` depends
/// only on the seed and `i`. So `/bytes/{n}`, its ranges and the fault routes (which break a
/// response off and let the client resume it) all agree on the content, without the server
/// keeping any of it in memory, and a test can compute the expected file itself.
public enum SampleBytes {
    /// The `count` bytes of the stream for `seed`, starting at `offset`.
    public static func generate(count: Int, seed: UInt64 = 0, offset: Int = 0) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer), seed: seed, offset: offset)
            initialized = count
        }
    }

    /// Writes the bytes at `offset ..< offset + buffer.count` of the stream for `seed` into `buffer`.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer, seed: UInt64, offset: Int) {
        guard !buffer.isEmpty else { return }
        var position = offset
        var index = 0
        // Whole blocks are stored eight bytes at a time (the byte at `i` is byte `i % 8` of the
        // block's word, little-endian): a byte at a time, generating the bytes was nearly half
        // of the server's CPU under the downloader benchmark.
        if position % 8 != 0 {
            let word = self.word(seed: seed, block: UInt64(position / 8))
            let byteInWord = position % 8
            let take = min(8 - byteInWord, buffer.count)
            for k in 0..<take {
                buffer[k] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(byteInWord + k)))
            }
            index = take
            position += take
        }
        while buffer.count - index >= 8 {
            let word = self.word(seed: seed, block: UInt64(position / 8))
            buffer.storeBytes(of: word.littleEndian, toByteOffset: index, as: UInt64.self)
            index += 8
            position += 8
        }
        while index < buffer.count {
            let word = self.word(seed: seed, block: UInt64(position / 8))
            let byteInWord = position % 8
            let take = min(8 - byteInWord, buffer.count - index)
            for k in 0..<take {
                buffer[index + k] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(byteInWord + k)))
            }
            index += take
            position += take
        }
    }

    /// Eight bytes of the stream: SplitMix64's output for the block's own state, so any block
    /// is computed without the ones before it.
    @inline(__always)
    static func word(seed: UInt64, block: UInt64) -> UInt64 {
        var generator = SplitMix64(seed: seed &+ block &* 0x9E37_79B9_7F4A_7C15)
        return generator.next()
    }
}
