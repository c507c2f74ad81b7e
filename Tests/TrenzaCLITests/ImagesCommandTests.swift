import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import Trenza
import TrenzaImaging

@Suite("trenza images, through the built binary")
struct ImagesCommandTests {
    struct Summary: Decodable {
        struct Item: Decodable {
            var source: String
            var ok: Bool
            var destination: String?
            var error: String?
        }
        var succeeded: Int
        var failed: Int
        var images: [Item]
    }

    /// A folder with good images and every kind of bad input, and an output folder where one
    /// destination is already taken by a directory.
    private func makeCorpus() async throws -> (folder: String, output: String, good: [String]) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-images-\(UUID().uuidString)").path
        let input = root + "/in", output = root + "/out"
        #expect(try await trenza(["images", "--generate", "3", input, "--size", "64x48", "--quiet"]).status == 0)
        #expect(try await trenza(["images", "--generate", "2", input, "--size", "40x30", "--format", "png", "--seed", "5", "--quiet"]).status == 0)
        let jpeg = try #require(FileManager.default.contents(atPath: input + "/sample_001.jpg"))
        let png = try #require(FileManager.default.contents(atPath: input + "/sample_001.png"))
        func put(_ name: String, _ data: Data) throws { try data.write(to: URL(fileURLWithPath: input + "/" + name)) }
        try put("empty.jpg", Data())
        try put("text.jpg", Data("<html><body>not an image</body></html>".utf8))
        try put("truncated.png", png.prefix(png.count * 6 / 10))
        try put("truncated.jpg", jpeg.prefix(jpeg.count * 6 / 10))
        try put("huge.png", Data(pngHeader(width: 20_000, height: 20_000)))
        try FileManager.default.createDirectory(atPath: input + "/folder.jpg", withIntermediateDirectories: true)
        // A named pipe nobody writes to: opening it for reading would block forever.
        #expect(mkfifo(input + "/pipe.png", 0o644) == 0)
        // The destination of sample_002.png is a directory: that one write must fail on its own.
        try FileManager.default.createDirectory(atPath: output + "/blur_sample_002.png", withIntermediateDirectories: true)
        return (input, output, ["sample_001.jpg", "sample_002.jpg", "sample_003.jpg", "sample_001.png"])
    }

    @Test("bad files are reported one by one while the rest of the batch succeeds", arguments: Engine.allCases)
    func badInputs(engine: Engine) async throws {
        let (input, output, good) = try await makeCorpus()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: input).deletingLastPathComponent().path) }
        let result = try await trenza(["images", input, "-o", output, "--filters", "blur", "--engine", engine.rawValue, "-j", "2", "--json"])
        #expect(result.status == 1, "a failed image must make the exit status 1")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(result.output.utf8))
        #expect(summary.succeeded == good.count)
        #expect(summary.failed == 8)
        func error(_ name: String) -> String {
            summary.images.first { $0.source.hasSuffix("/" + name) }?.error ?? "(no error)"
        }
        #expect(error("empty.jpg").contains("empty file"))
        #expect(error("text.jpg").contains("not a PNG or JPEG file"))
        #expect(error("truncated.png").contains("truncated PNG"))
        #expect(error("truncated.jpg").contains("truncated JPEG"))
        #expect(error("huge.png").contains("over the limit of 89478485"))
        #expect(error("folder.jpg").contains("not a regular file"))
        #expect(error("pipe.png").contains("not a regular file"))
        #expect(error("sample_002.png").contains("Is a directory"))

        // Every good output holds exactly what the library makes of its input.
        for name in good {
            let source = try #require(FileManager.default.contents(atPath: input + "/" + name))
            let decoded = try ImageCodec.decode(Array(source))
            let expected = try ImageCodec.encode(decoded.image.applying([.blur]), as: decoded.format)
            let written = try #require(FileManager.default.contents(atPath: output + "/blur_" + name), "blur_\(name) missing")
            #expect(Array(written) == expected, "blur_\(name) differs")
        }
        // Nothing half-written: no temporary files, no output for the failed inputs.
        let outputs = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
        #expect(outputs == (good.map { "blur_" + $0 } + ["blur_sample_002.png"]).sorted())
    }

    @Test("--compare runs all three engines and finds their outputs identical")
    func compare() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-compare-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try await trenza(["images", "--generate", "3", root + "/in", "--size", "48x32", "--quiet"]).status == 0)
        let result = try await trenza(["images", root + "/in", "-o", root + "/out", "--filters", "sharpen,contrast=2,grayscale", "--compare", "--quiet"])
        #expect(result.status == 0, "\(result.output)\n\(result.error)")
        #expect(result.output.contains("All three engines wrote identical files."))
        for engine in Engine.allCases {
            let files = try FileManager.default.contentsOfDirectory(atPath: root + "/out/" + engine.rawValue)
            #expect(files.sorted() == ["sharpen_contrast-2.0_grayscale_sample_001.jpg", "sharpen_contrast-2.0_grayscale_sample_002.jpg", "sharpen_contrast-2.0_grayscale_sample_003.jpg"])
        }
    }

    @Test("thumbnail=64x64 writes a 64-wide thumbnail of a JPEG; a crop outside the image fails that image")
    func thumbnail() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-thumbnail-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let input = root + "/in", output = root + "/out"
        #expect(try await trenza(["images", "--generate", "1", input, "--size", "640x480", "--quiet"]).status == 0)
        let result = try await trenza(["images", input + "/sample_001.jpg", "-o", output, "--filters", "thumbnail=64x64,sharpen", "--quiet"])
        #expect(result.status == 0, "\(result.error)")
        let written = try #require(FileManager.default.contents(atPath: output + "/thumbnail-64x64_sharpen_sample_001.jpg"))
        let thumbnail = try ImageCodec.decode(Array(written)).image
        #expect(thumbnail.width == 64 && thumbnail.height == 48)

        let cropped = try await trenza(["images", input + "/sample_001.jpg", "-o", output, "--filters", "crop=600,0,100,10", "--json"])
        #expect(cropped.status == 1)
        #expect(cropped.output.contains("sample_001.jpg: crop box crop=600,0,100,10"), "\(cropped.output)")
        #expect(cropped.output.contains("640×480"), "\(cropped.output)")
    }

    @Test("--generate is reproducible by seed")
    func generate() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-generate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for folder in ["a", "b"] {
            #expect(try await trenza(["images", "--generate", "2", root + "/" + folder, "--size", "30x20", "--seed", "42", "--quiet"]).status == 0)
        }
        for name in ["sample_001.jpg", "sample_002.jpg"] {
            let a = FileManager.default.contents(atPath: root + "/a/" + name)
            #expect(a != nil && a == FileManager.default.contents(atPath: root + "/b/" + name))
        }
        let image = try ImageCodec.decode(Array(FileManager.default.contents(atPath: root + "/a/sample_001.jpg")!)).image
        #expect(image.width == 30 && image.height == 20 && image.mode == .rgb)
    }

    @Test("bad usage exits 2 with a message that helps", arguments: [
        (["images", "in"], "-o/--output"),
        (["images", "in", "-o", "out"], "--filters is required"),
        (["images", "in", "-o", "out", "--filters", "blur,blurry"], "blurry"),
        (["images", "in", "-o", "out", "--filters", "brightness"], "brightness"),
        (["images", "in", "-o", "out", "--filters", "blur", "--quality", "0"], "--quality"),
        (["images", "in", "-o", "out", "--filters", "blur", "--png-compression", "10"], "--png-compression"),
        (["images", "--generate", "3"], "exactly one folder"),
        (["images", "--generate", "3", "x", "--size", "big"], "--size"),
        (["images", "in", "-o", "out", "--filters", "resize=10x"], "resize=WxH[:nearest|box|bilinear|hamming|bicubic|lanczos]"),
        (["images", "in", "-o", "out", "--filters", "rotate=45"], "rotate=90, rotate=180 or rotate=270"),
    ])
    func usage(arguments: [String], message: String) async throws {
        let result = try await trenza(arguments)
        #expect(result.status == 2)
        #expect(result.error.contains(message), "\(result.error)")
    }
}

/// The first bytes of a PNG that claims `width × height` pixels: enough for the size check.
private func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
    func bigEndian(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    let body = Array("IHDR".utf8) + bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + bigEndian(13) + body + bigEndian(crc32(body))
        + bigEndian(0) + Array("IDAT".utf8) + bigEndian(crc32(Array("IDAT".utf8)))
}

private func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

@Suite("trenza images --timeout")
struct ImageTimeoutTests {
    typealias Summary = ImagesCommandTests.Summary

    @Test("an image over its time fails alone, with nothing written, on every engine", arguments: Engine.allCases)
    func slowImageFailsAlone(engine: Engine) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-timeout-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try await trenza(["images", "--generate", "1", root + "/big", "--size", "1500x1000", "--format", "png", "--quiet"]).status == 0)
        #expect(try await trenza(["images", "--generate", "1", root + "/small", "--size", "16x12", "--seed", "2", "--quiet"]).status == 0)
        let result = try await trenza(["images", root + "/big/sample_001.png", root + "/small/sample_001.jpg", "-o", root + "/out",
                                       "--filters", "blur,blur,blur,blur,blur,blur", "--timeout", "0.2",
                                       "--engine", engine.rawValue, "-j", "2", "--json"])
        #expect(result.status == 1, "\(result.output)\n\(result.error)")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(result.output.utf8))
        #expect(summary.succeeded == 1)
        #expect(summary.images.map(\.ok) == [false, true])
        let error = summary.images.first?.error ?? ""
        #expect(error.contains("timed out after 200 ms"), "\(error)")
        let written = try FileManager.default.contentsOfDirectory(atPath: root + "/out")
        #expect(written == ["blur_blur_blur_blur_blur_blur_sample_001.jpg"], "only the small image's result, and no temporary file")
    }

    @Test("--timeout must be positive")
    func badTimeout() async throws {
        for value in ["0", "-1", "soon"] {
            let result = try await trenza(["images", "in", "-o", "out", "--filters", "blur", "--timeout", value])
            #expect(result.status == 2)
            #expect(result.error.contains("--timeout"), "\(result.error)")
        }
    }
}
