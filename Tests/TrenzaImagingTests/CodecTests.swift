import Foundation
import Testing
import TrenzaImaging

// Parity with Pillow: codec_fixtures.py (run through scripts/with-pillow.sh, so with the pinned
// Pillow) writes PNG and JPEG files and the pixels Pillow decodes from them; each test decodes the
// same file with ImageCodec and compares bytes. The Swift side first writes its own encodings into
// the same folder so that the one Python run also reports how Pillow reads them.

/// Everything the Python helper produced, made once for the whole suite.
struct CodecFixtures: Sendable {
    struct Case: Decodable, Sendable {
        var raw: String
        var mode: String
        var width: Int
        var height: Int
        var pillowMode: String
        var file: String?
        var format: String?
        var subsampling: Int?
        /// What codec_fixtures.py's strict PNG check found wrong with a file we wrote.
        var problems: [String]?
    }

    struct Manifest: Decodable, Sendable {
        var pillow: String
        var cases: [String: Case]
        var ours: [String: Case]
    }

    let manifest: Manifest
    /// The files of the run by path relative to its folder (fixtures/…, ours/…), read into memory
    /// so that the temporary folder can go at once.
    private let files: [String: [UInt8]]

    static let shared: Result<CodecFixtures, FixtureError> = Result { () throws(FixtureError) in
        try CodecFixtures()
    }

    static func load() throws -> CodecFixtures { try shared.get() }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
    }

    private init() throws(FixtureError) {
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("trenza-codec-tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            let ours = folder.appendingPathComponent("ours")
            try FileManager.default.createDirectory(at: ours, withIntermediateDirectories: true)
            for (name, data) in try Self.ourEncodings() {
                try Data(data).write(to: ours.appendingPathComponent(name))
            }
            let process = Process()
            process.executableURL = repository.appendingPathComponent("scripts/with-pillow.sh")
            process.arguments = [
                repository.appendingPathComponent("Tests/TrenzaImagingTests/codec_fixtures.py").path,
                folder.path,
            ]
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            let stderr = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw FixtureError(description: "codec_fixtures.py failed (\(process.terminationStatus)): "
                    + String(decoding: stderr, as: UTF8.self))
            }
            let json = try Data(contentsOf: folder.appendingPathComponent("manifest.json"))
            manifest = try JSONDecoder().decode(Manifest.self, from: json)
            var files: [String: [UInt8]] = [:]
            for subfolder in ["fixtures", "ours"] {
                let url = folder.appendingPathComponent(subfolder)
                for name in try FileManager.default.contentsOfDirectory(atPath: url.path) {
                    files["\(subfolder)/\(name)"] = [UInt8](try Data(contentsOf: url.appendingPathComponent(name)))
                }
            }
            self.files = files
        } catch let error as FixtureError {
            throw error
        } catch {
            throw FixtureError(description: "could not make the codec fixtures: \(error)")
        }
    }

    func bytes(_ relativePath: String) throws -> [UInt8] {
        guard let bytes = files[relativePath] else {
            throw FixtureError(description: "codec_fixtures.py wrote no \(relativePath)")
        }
        return bytes
    }

    /// A deterministic test picture: smooth gradients with a little texture, so that JPEG stays
    /// close to it and every byte value of PNG is exercised.
    static func picture(_ mode: Image.Mode, width: Int = 45, height: Int = 29) -> Image {
        var pixels = [UInt8]()
        pixels.reserveCapacity(width * height * mode.bands)
        for y in 0..<height {
            for x in 0..<width {
                let texture = (x * 7 + y * 13) % 11
                for band in 0..<mode.bands {
                    let smooth = (x * 200 / width * (band + 1) + y * 240 / height * (3 - band)) / 4
                    pixels.append(UInt8(min(255, smooth + texture)))
                }
            }
        }
        return Image(width: width, height: height, mode: mode, pixels: pixels)
    }

    static let ourJPEGs: [(name: String, mode: Image.Mode, quality: Int)] = [
        ("ours-jpeg-RGB-q75", .rgb, 75), ("ours-jpeg-RGB-q95", .rgb, 95), ("ours-jpeg-L-q75", .l, 75),
    ]

    /// Our PNG writers over the modes, odd sizes (partial filter windows, a single pixel), both
    /// deflaters and the extreme levels.
    static let ourPNGs: [(name: String, mode: Image.Mode, width: Int, height: Int, level: Int, deflater: PNGDeflater)] =
        Image.Mode.allCases.flatMap { mode in
            PNGDeflater.allCases.flatMap { deflater in
                [(45, 29, 6), (1, 1, 6), (333, 7, 6), (2, 97, 0), (31, 17, 9), (64, 3, 1)].map { width, height, level in
                    ("ours-png-\(mode.rawValue)-\(deflater.rawValue)-\(width)x\(height)-level\(level)",
                     mode, width, height, level, deflater)
                }
            }
        }

    static func ourEncodings() throws -> [(String, [UInt8])] {
        var files: [(String, [UInt8])] = []
        for mode in Image.Mode.allCases {
            files.append(("ours-png-\(mode.rawValue).png", try ImageCodec.encodePNG(picture(mode))))
        }
        for png in ourPNGs {
            let image = picture(png.mode, width: png.width, height: png.height)
            files.append(("\(png.name).png", try ImageCodec.encodePNG(image, compression: png.level, deflater: png.deflater)))
        }
        for jpeg in ourJPEGs {
            files.append(("\(jpeg.name).jpg", try ImageCodec.encodeJPEG(picture(jpeg.mode), quality: jpeg.quality)))
        }
        return files
    }
}

/// The largest difference between two equally long byte arrays.
func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    zip(a, b).reduce(0) { max($0, abs(Int($1.0) - Int($1.1))) }
}

/// The ImageError `body` throws, or nil when it throws nothing (or something else, which the
/// message comparison then reports).
func imageError(_ body: () throws -> Void) -> ImageError? {
    do {
        try body()
        return nil
    } catch {
        return error as? ImageError
    }
}

@Suite("Codecs")
struct CodecTests {
    static let pngCases = [
        "png-L", "png-LA", "png-RGB", "png-RGBA", "png-RGB-uncompressed", "png-P",
        "png-P-transparent-index", "png-1bit", "png-L-2bit", "png-L-4bit", "png-L-16bit",
        "png-LA-16bit", "png-RGB-16bit", "png-RGBA-16bit", "png-L-tRNS", "png-P-4bit",
        "png-P-4bit-tRNS", "png-P-8bit-tRNS", "png-RGB-gAMA", "png-RGB-gAMA-045",
        "png-RGB-interlaced", "png-RGBA-16bit-interlaced", "png-1bit-interlaced",
        "png-P-2bit-interlaced", "png-RGB-1x1-interlaced",
    ]

    static let jpegCases = [
        "jpeg-RGB", "jpeg-RGB-q20", "jpeg-RGB-progressive", "jpeg-RGB-444", "jpeg-RGB-422",
        "jpeg-RGB-optimized", "jpeg-L", "jpeg-L-progressive", "jpeg-CMYK",
        // hopper.jpg's layout (JFIF 96 dpi, comment, a table per segment): a report of a
        // difference from Pillow on that file matched libjpeg's float IDCT exactly.
        "jpeg-photoshop-style",
    ]

    private func decodeFixture(_ name: String) throws -> (decoded: (image: Image, format: ImageFormat), expected: CodecFixtures.Case, pillow: [UInt8]) {
        let fixtures = try CodecFixtures.load()
        let expected = try #require(fixtures.manifest.cases[name], "codec_fixtures.py made no \(name)")
        let decoded = try ImageCodec.decode(try fixtures.bytes("fixtures/\(expected.file ?? "")"))
        return (decoded, expected, try fixtures.bytes("fixtures/\(expected.raw)"))
    }

    @Test("PNG decodes to exactly Pillow's pixels", arguments: pngCases)
    func pngParity(name: String) throws {
        let (decoded, expected, pillow) = try decodeFixture(name)
        #expect(decoded.format == .png)
        #expect(decoded.image.mode.rawValue == expected.mode, "Pillow mode \(expected.pillowMode)")
        #expect(decoded.image.width == expected.width && decoded.image.height == expected.height)
        #expect(decoded.image.pixels == pillow)
    }

    @Test("JPEG decodes to exactly Pillow's pixels", arguments: jpegCases)
    func jpegParity(name: String) throws {
        let (decoded, expected, pillow) = try decodeFixture(name)
        #expect(decoded.format == .jpeg)
        #expect(decoded.image.mode.rawValue == expected.mode, "Pillow mode \(expected.pillowMode)")
        #expect(decoded.image.width == expected.width && decoded.image.height == expected.height)
        try #require(decoded.image.pixels.count == pillow.count)
        #expect(maxDifference(decoded.image.pixels, pillow) == 0)
    }

    @Test("PNG round trip is lossless, and Pillow reads our PNGs alike", arguments: Image.Mode.allCases)
    func pngRoundTrip(mode: Image.Mode) throws {
        let picture = CodecFixtures.picture(mode)
        let encoded = try ImageCodec.encodePNG(picture)
        #expect(ImageCodec.sniff(encoded) == .png)
        let decoded = try ImageCodec.decode(encoded)
        #expect(decoded.format == .png)
        #expect(decoded.image == picture)
        // Every zlib level is lossless; only the size changes.
        for level in [0, 1, 9] {
            #expect(try ImageCodec.decode(try ImageCodec.encodePNG(picture, compression: level)).image == picture)
        }
        #expect(try ImageCodec.encodePNG(picture, compression: 0).count > encoded.count)
        #expect(throws: ImageError.self) { _ = try ImageCodec.encodePNG(picture, compression: 10) }

        let fixtures = try CodecFixtures.load()
        let pillow = try #require(fixtures.manifest.ours["ours-png-\(mode.rawValue)"])
        #expect(pillow.format == "PNG")
        #expect(pillow.pillowMode == mode.rawValue)
        #expect(try fixtures.bytes("ours/\(pillow.raw)") == picture.pixels)
    }

    @Test("every PNG we write is valid for a strict reader and decodes to its pixels, in Pillow too",
          arguments: CodecFixtures.ourPNGs.map(\.name))
    func pngWriters(name: String) throws {
        let spec = try #require(CodecFixtures.ourPNGs.first { $0.name == name })
        let picture = CodecFixtures.picture(spec.mode, width: spec.width, height: spec.height)
        let encoded = try ImageCodec.encodePNG(picture, compression: spec.level, deflater: spec.deflater)
        #expect(try ImageCodec.decode(encoded).image == picture)
        let fixtures = try CodecFixtures.load()
        let pillow = try #require(fixtures.manifest.ours[name])
        #expect(pillow.problems == [], "strict check: \(pillow.problems ?? ["not checked"])")
        #expect(pillow.pillowMode == spec.mode.rawValue)
        #expect(try fixtures.bytes("ours/\(pillow.raw)") == picture.pixels)
    }

    @Test("libdeflate's PNGs of photo-like images are about as small as zlib's at the same level")
    func pngDeflaterSizes() throws {
        // Not the repeating texture of `picture`: on it, with a period zlib's lazy matching finds,
        // libdeflate's files are up to 60% larger (photographs have no such period).
        let picture = SampleImages.generate(width: 320, height: 200, seed: 3)
        for level in [1, 6, 9] {
            let zlib = try ImageCodec.encodePNG(picture, compression: level, deflater: .zlib).count
            let libdeflate = try ImageCodec.encodePNG(picture, compression: level, deflater: .libdeflate).count
            #expect(Double(libdeflate) < Double(zlib) * 1.05, "level \(level): \(libdeflate) vs zlib's \(zlib) bytes")
        }
    }

    @Test("JPEG round trip stays close, and Pillow decodes our JPEGs as we do",
          arguments: CodecFixtures.ourJPEGs.map(\.name))
    func jpegRoundTrip(name: String) throws {
        let spec = try #require(CodecFixtures.ourJPEGs.first { $0.name == name })
        let picture = CodecFixtures.picture(spec.mode)
        let encoded = try ImageCodec.encodeJPEG(picture, quality: spec.quality)
        #expect(ImageCodec.sniff(encoded) == .jpeg)
        let decoded = try ImageCodec.decode(encoded)
        #expect(decoded.format == .jpeg)
        #expect(decoded.image.mode == spec.mode)
        #expect(decoded.image.width == picture.width && decoded.image.height == picture.height)
        let meanError = Double(zip(decoded.image.pixels, picture.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) })
            / Double(picture.pixels.count)
        #expect(meanError < (spec.quality >= 95 ? 2.5 : 5), "mean abs error \(meanError)")

        let fixtures = try CodecFixtures.load()
        let pillow = try #require(fixtures.manifest.ours[name])
        #expect(pillow.format == "JPEG")
        #expect(pillow.pillowMode == spec.mode.rawValue)
        if spec.mode == .rgb { #expect(pillow.subsampling == 2, "4:2:0 chroma subsampling") }
        #expect(try fixtures.bytes("ours/\(pillow.raw)") == decoded.image.pixels)
    }

    @Test("higher JPEG quality means a larger file")
    func jpegQuality() throws {
        let picture = CodecFixtures.picture(.rgb)
        let sizes = try [10, 75, 100].map { quality throws(ImageError) in
            try ImageCodec.encodeJPEG(picture, quality: quality).count
        }
        #expect(sizes[0] < sizes[1] && sizes[1] < sizes[2], "sizes \(sizes)")
    }

    @Test("JPEG refuses RGBA and qualities outside 1…100, like Pillow")
    func jpegEncodeErrors() {
        let rgba = CodecFixtures.picture(.rgba)
        #expect(imageError { _ = try ImageCodec.encodeJPEG(rgba) }?.message
            == "cannot write mode RGBA as JPEG (JPEG has no alpha; convert to RGB first)")
        let rgb = CodecFixtures.picture(.rgb)
        #expect(imageError { _ = try ImageCodec.encodeJPEG(rgb, quality: 0) }?.message
            == "JPEG quality must be 1…100, got 0")
        #expect(imageError { _ = try ImageCodec.encodeJPEG(rgb, quality: 101) }?.message
            == "JPEG quality must be 1…100, got 101")
        let empty = Image(width: 0, height: 3, mode: .l, pixels: [])
        #expect(imageError { _ = try ImageCodec.encodePNG(empty) }?.message
            == "cannot write an empty 0×3 image as PNG")
    }

    @Test("an empty file is an error")
    func emptyFile() {
        #expect(imageError { _ = try ImageCodec.decode([]) }?.message
            == "empty file (0 bytes), not a PNG or JPEG image")
        #expect(ImageCodec.sniff([UInt8]()) == nil)
    }

    @Test("a text file named .jpg is an error that shows how it starts")
    func textFile() {
        let html = Array("<html><body>Not found</body></html>\n".utf8)
        #expect(imageError { _ = try ImageCodec.decode(html) }?.message
            == "not a PNG or JPEG file (starts with 3C 68 74 6D \"<htm\")")
        #expect(imageError { _ = try ImageCodec.decode([0x47, 0x49]) }?.message
            == "not a PNG or JPEG file (starts with 47 49 \"GI\")")
        #expect(imageError { _ = try ImageCodec.decode([0x89, 0x50, 0x4E, 0x47, 0x0D]) }?.message
            == "not a PNG or JPEG file (starts with 89 50 4E 47 \".PNG\")")
    }

    @Test("a PNG cut short is reported as truncated")
    func truncatedPNG() throws {
        let fixtures = try CodecFixtures.load()
        let png = try fixtures.bytes("fixtures/png-RGB.png")
        // Cut inside the image data, just after the header, and with only IEND missing.
        for cut in [png.count * 6 / 10, 40, png.count - 12] {
            #expect(imageError { _ = try ImageCodec.decode(Array(png.prefix(cut))) }?.message
                == "truncated PNG (premature end of data)", "cut at \(cut) of \(png.count)")
        }
    }

    @Test("a PNG with damaged data fails its CRC check")
    func corruptPNG() throws {
        let fixtures = try CodecFixtures.load()
        var png = try fixtures.bytes("fixtures/png-RGB.png")
        png[png.count / 2] ^= 0x40
        // zlib's own checksum notices first in the image data; the CRC catches damage elsewhere.
        let message = imageError { _ = try ImageCodec.decode(png) }?.message
        #expect(message == "corrupt PNG (IDAT: incorrect data check)" || message == "corrupt PNG (IDAT: CRC error)",
                "got \(message ?? "no error")")
        var header = try fixtures.bytes("fixtures/png-RGB.png")
        header[20] ^= 0x01  // in IHDR, which precedes its CRC
        #expect(imageError { _ = try ImageCodec.decode(header) }?.message == "corrupt PNG (IHDR: CRC error)")
    }

    @Test("a JPEG cut short is reported as truncated, not padded with grey")
    func truncatedJPEG() throws {
        let fixtures = try CodecFixtures.load()
        for name in ["jpeg-RGB", "jpeg-RGB-progressive", "jpeg-L"] {
            let jpeg = try fixtures.bytes("fixtures/\(name).jpg")
            for cut in [jpeg.count * 6 / 10, 100, jpeg.count - 2] {
                #expect(imageError { _ = try ImageCodec.decode(Array(jpeg.prefix(cut))) }?.message
                    == "truncated JPEG (premature end of data)", "\(name) cut at \(cut) of \(jpeg.count)")
            }
        }
    }

    @Test("stray bytes before a marker only draw a warning: the image decodes, as in Pillow")
    func jpegWarning() throws {
        let fixtures = try CodecFixtures.load()
        let clean = try fixtures.bytes("fixtures/jpeg-RGB.jpg")
        var jpeg = clean
        let startOfScan = try #require(jpeg.indices.dropLast().first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA })
        jpeg.insert(contentsOf: [0x41, 0x41], at: startOfScan)
        #expect(try ImageCodec.decode(jpeg).image == ImageCodec.decode(clean).image)
    }

    @Test("a long strip is limited by maxPixels alone, not by libpng's million-pixel side")
    func longStrip() throws {
        let strip = Image(width: 1_200_000, height: 1, mode: .l, fill: [7])
        let decoded = try ImageCodec.decode(try ImageCodec.encodePNG(strip))
        #expect(decoded.image == strip)
    }

    @Test("a huge image is refused from its header, before any pixel is allocated")
    func decompressionBomb() throws {
        let fixtures = try CodecFixtures.load()
        let png = try fixtures.bytes("fixtures/bomb.png"), jpeg = try fixtures.bytes("fixtures/bomb.jpg")
        #expect(imageError { _ = try ImageCodec.decode(png) }?.message
            == "image is 20000×20000 = 400000000 pixels, over the limit of 89478485 (--max-pixels)")
        #expect(imageError { _ = try ImageCodec.decode(jpeg) }?.message
            == "image is 50000×60000 = 3000000000 pixels, over the limit of 89478485 (--max-pixels)")
        let small = try fixtures.bytes("fixtures/jpeg-RGB.jpg")
        #expect(imageError { _ = try ImageCodec.decode(small, maxPixels: 2256) }?.message
            == "image is 61×37 = 2257 pixels, over the limit of 2256 (--max-pixels)")
        #expect(try ImageCodec.decode(small, maxPixels: 2257).image.width == 61)
    }

    @Test("sniffing and file extensions")
    func formats() {
        #expect(ImageCodec.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == .png)
        #expect(ImageCodec.sniff([0xFF, 0xD8, 0xFF, 0xE0][...]) == .jpeg)
        #expect(ImageCodec.sniff([0xFF, 0xD8]) == nil)
        #expect(ImageFormat(fileExtension: "JPG") == .jpeg)
        #expect(ImageFormat(fileExtension: ".jpeg") == .jpeg)
        #expect(ImageFormat(fileExtension: "png") == .png)
        #expect(ImageFormat(fileExtension: "gif") == nil)
        #expect(ImageFormat(path: "out/photo.final.PNG") == .png)
        #expect(ImageFormat(path: "dir.jpg/README") == nil)
        #expect(ImageFormat(path: ".jpg") == nil)
        #expect(ImageFormat.jpeg.fileExtension == "jpg")
        let picture = CodecFixtures.picture(.rgb, width: 8, height: 8)
        #expect(ImageCodec.sniff((try? ImageCodec.encode(picture, as: .png)) ?? []) == .png)
        #expect(ImageCodec.sniff((try? ImageCodec.encode(picture, as: .jpeg, quality: 50)) ?? []) == .jpeg)
    }
}
