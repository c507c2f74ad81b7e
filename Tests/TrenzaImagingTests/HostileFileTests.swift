import Foundation
import Testing
import TrenzaImaging
import TrenzaTestSupport

// Files of a few bytes that once cost gigabytes or minutes before they were refused
// (Tests/Fixtures/hostile_images.py describes each). Every decode here must fail with the right
// message and stay far below the memory the file claims; time is not asserted (shared CI
// machines vary), but the memory bound fails on the old behaviour, which took 2–6 GB, and the
// scan limit's message did not exist.

/// Generous: the decodes below take a few MB; the old ones took 2 GB and more.
private let memoryBoundKiB = 200 * 1024

private func hostile(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: try hostileImagesFolder()).appendingPathComponent(name)))
}

/// Decodes `bytes`, expecting failure; the message and the peak memory growth (nil off Linux).
private func refusal(_ bytes: [UInt8]) -> (message: String?, kibibytes: Int?) {
    let (message, kibibytes) = peakMemoryGrowth { imageError { _ = try ImageCodec.decode(bytes) }?.message }
    #if os(Linux)
    #expect(kibibytes != nil, "Linux can measure the peak; a bound that is silently skipped proves nothing")
    #endif
    return (message, kibibytes)
}

@Suite("Hostile files")
struct HostileFileTests {
    @Test("a 69-byte PNG claiming 2^31 - 1 pixels is refused from its header, without allocating")
    func hugeHeader() throws {
        let (message, kibibytes) = refusal(try hostile("huge-ihdr.png"))
        #expect(message == "image is 2147483647×1 = 2147483647 pixels, over the limit of 89478485 (--max-pixels)")
        if let kibibytes { #expect(kibibytes < memoryBoundKiB, "peak grew by \(kibibytes) KiB") }
        // The caller's limit, not a fixed one, decides.
        let bytes = try hostile("huge-ihdr.png")
        #expect(imageError { _ = try ImageCodec.decode(bytes, maxPixels: 1000) }?.message
            == "image is 2147483647×1 = 2147483647 pixels, over the limit of 1000 (--max-pixels)")
    }

    @Test("a chunk claiming 2 GB is skipped, not allocated, and the file reported truncated",
          arguments: ["chunk-tEXt.png", "chunk-zTXt.png", "chunk-iTXt.png", "chunk-iCCP.png", "chunk-eXIf.png",
                      "chunk-teSt.png", "late-tEXt.png"])
    func hugeChunk(name: String) throws {
        let (message, kibibytes) = refusal(try hostile(name))
        #expect(message == "truncated PNG (premature end of data)")
        if let kibibytes { #expect(kibibytes < memoryBoundKiB, "peak grew by \(kibibytes) KiB") }
    }

    @Test("a progressive JPEG repeating its last scan is stopped after 100 scans")
    func endlessScans() throws {
        let (message, kibibytes) = refusal(try hostile("scans-2000.jpg"))
        #expect(message == "JPEG has more than 100 scans (a hostile or broken file)")
        if let kibibytes { #expect(kibibytes < memoryBoundKiB, "peak grew by \(kibibytes) KiB") }
        #expect(imageError { _ = try ImageCodec.decode(try hostile("scans-91.jpg")) }?.message
            == "JPEG has more than 100 scans (a hostile or broken file)")
    }

    @Test("a progressive JPEG of exactly 100 scans still decodes, to the same pixels")
    func hundredScans() throws {
        // The repeated scan refines coefficients that are all zero in a flat picture, so the
        // pixels are those of the file without the repeats (libjpeg only warns of the odd order).
        let plain = try ImageCodec.decode(try hostile("progressive.jpg")).image
        let repeated = try ImageCodec.decode(try hostile("scans-90.jpg")).image
        #expect(plain.width == 1024 && plain.height == 1024)
        #expect(repeated == plain)
    }
}
