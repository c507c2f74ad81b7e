import Foundation
import Testing
import TrenzaImaging

@Suite("trenza images --png-deflate")
struct PNGDeflateTests {
    @Test("zlib and libdeflate write different bytes of the same pixels; other names are refused")
    func deflaters() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-deflate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var files: [PNGDeflater: [UInt8]] = [:]
        for deflater in PNGDeflater.allCases {
            let folder = "\(root)/\(deflater.rawValue)"
            let result = try await trenza(["images", "--generate", "1", folder, "--size", "96x64", "--format", "png",
                                           "--png-deflate", deflater.rawValue, "--quiet"])
            #expect(result.status == 0, "\(result.error)")
            files[deflater] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/sample_001.png")))
        }
        let zlib = try #require(files[.zlib]), libdeflate = try #require(files[.libdeflate])
        #expect(zlib != libdeflate)
        #expect(try ImageCodec.decode(zlib).image == ImageCodec.decode(libdeflate).image)
        let refused = try await trenza(["images", "--generate", "1", root + "/x", "--format", "png", "--png-deflate", "gzip"])
        #expect(refused.status != 0)
        #expect(refused.error.contains("--png-deflate"), "\(refused.error)")
    }
}
