import Foundation
import Testing
@testable import Trenza
import TrenzaImaging
import TrenzaTestSupport

/// A deadline stops the decoders themselves: on the threads engine nothing else can stop an image
/// that a huge file, or a hostile one just under the scan limit, keeps inside libjpeg or libpng.
@Suite("Decoding stops at its deadline")
struct DecodeDeadlineTests {
    static func file(_ kind: String) throws -> [UInt8] {
        let photo = SampleImages.generate(width: 1200, height: 800, seed: 3)
        switch kind {
        case "PNG": return try ImageCodec.encodePNG(photo, compression: 1)
        case "JPEG": return try ImageCodec.encodeJPEG(photo, quality: 90)
        default:
            // Progressive, with its last scan repeated up to the limit of 100 scans: libjpeg
            // reads every scan before the first output row, so the deadline must be seen there.
            return Array(try Data(contentsOf: URL(fileURLWithPath: try hostileImagesFolder() + "/scans-90.jpg")))
        }
    }

    @Test("a passed deadline stops each decoder, and says so", arguments: ["PNG", "JPEG", "progressive JPEG"])
    func passedDeadline(kind: String) throws {
        let bytes = try Self.file(kind)
        #expect {
            _ = try ImageCodec.decode(bytes, for: [], deadline: monotonicSeconds() - 1)
        } throws: { error in
            guard let error = error as? ImageError else { return false }
            return error.timedOut && error.message.contains("deadline")
        }
        // A deadline far off changes nothing.
        let plain = try ImageCodec.decode(bytes, for: [])
        let timed = try ImageCodec.decode(bytes, for: [], deadline: monotonicSeconds() + 3600)
        #expect(plain == timed, "\(kind)")
    }

    @Test("a deadline reached in the middle of a decode stops it there", arguments: ["PNG", "progressive JPEG"])
    func deadlineDuringDecode(kind: String) throws {
        let bytes = try Self.file(kind)
        var whole = Double.infinity
        for _ in 0..<2 {
            let start = monotonicSeconds()
            _ = try ImageCodec.decode(bytes, for: [])
            whole = min(whole, monotonicSeconds() - start)
        }
        // A tenth of the fastest whole decode: past the header, far from the end.
        #expect {
            _ = try ImageCodec.decode(bytes, for: [], deadline: monotonicSeconds() + whole / 10)
        } throws: { error in
            (error as? ImageError)?.timedOut == true
        }
    }
}
