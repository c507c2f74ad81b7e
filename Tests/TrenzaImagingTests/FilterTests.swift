import Foundation
import Testing
import Trenza
@testable import TrenzaImaging

@Suite("Filters")
struct FilterTests {
    /// Reproducible random test inputs.
    typealias SplitMix = SplitMix64

    static let kernelFilters: [ImageFilter] = [
        .blur, .sharpen, .contour, .detail, .edgeEnhance, .edgeEnhanceMore, .emboss, .findEdges,
        .smooth, .smoothMore,
    ]

    /// Deterministic bytes: `spread` limits how far values stray from 128, so that narrow ranges
    /// (where DETAIL and SMOOTH_MORE most often hit their float-decided sums) are covered too.
    static func noise(width: Int, height: Int, mode: Image.Mode, seed: UInt64, spread: Int = 256) -> Image {
        var state = seed
        let pixels = (0..<(width * height * mode.bands)).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let r = Int(truncatingIfNeeded: state >> 33) % spread
            return UInt8(clamping: spread >= 256 ? r : 128 - spread / 2 + r)
        }
        return Image(width: width, height: height, mode: mode, pixels: pixels)
    }

    // MARK: kernels, by hand

    @Test("3×3: FIND_EDGES and EMBOSS on the centre pixel; the kernel is flipped vertically")
    func threeByThree() {
        let image = Image(width: 3, height: 3, mode: .l, pixels: [10, 20, 30, 40, 50, 60, 70, 80, 90])
        // 8·50 − (10+20+30+40+60+70+80+90) = 0.
        #expect(ImageFilter.findEdges.apply(to: image).pixels == [10, 20, 30, 40, 0, 60, 70, 80, 90])
        // EMBOSS's −1 is kernel row 0, column 0, which meets the row *below*, left: 128 + 50 − 70.
        #expect(ImageFilter.emboss.apply(to: image).pixels == [10, 20, 30, 40, 108, 60, 70, 80, 90])
        // 0.5 + (5·50 + 400) / 13 = 50.5.
        #expect(ImageFilter.smooth.apply(to: image) == image)
        // CONTOUR: 255 + 0, clipped.
        #expect(ImageFilter.contour.apply(to: image).pixels[4] == 255)
    }

    @Test("5×5: BLUR averages the outer ring of 16, SMOOTH_MORE weighs the centre 44/100")
    func fiveByFive() {
        var pixels = [UInt8](repeating: 0, count: 25)
        pixels[0] = 255; pixels[4] = 255; pixels[20] = 255; pixels[24] = 255
        pixels[2] = 100
        pixels[12] = 50
        let image = Image(width: 5, height: 5, mode: .l, pixels: pixels)
        var blurred = pixels
        blurred[12] = 70  // 0.5 + (4·255 + 100) / 16 = 70.5
        #expect(ImageFilter.blur.apply(to: image).pixels == blurred)
        var smoothed = pixels
        smoothed[12] = 33  // 0.5 + (4·255 + 100 + 44·50) / 100 = 33.7
        #expect(ImageFilter.smoothMore.apply(to: image).pixels == smoothed)
    }

    @Test("the border (1 px for 3×3, 2 px for 5×5) is copied, in every band", arguments: kernelFilters)
    func borderCopied(filter: ImageFilter) {
        let image = Self.noise(width: 9, height: 7, mode: .rgba, seed: 7)
        let result = filter.apply(to: image)
        let margin = [.blur, .smoothMore].contains(filter) ? 2 : 1
        for y in 0..<image.height {
            for x in 0..<image.width
            where x < margin || y < margin || x >= image.width - margin || y >= image.height - margin {
                #expect(result[x, y] == image[x, y], "\(filter) at (\(x), \(y))")
            }
        }
        #expect(result != image)
    }

    @Test("an image smaller than the kernel comes back unchanged", arguments: kernelFilters)
    func smallerThanKernel(filter: ImageFilter) {
        let size = [.blur, .smoothMore].contains(filter) ? 5 : 3
        for (width, height) in [(size - 1, 9), (9, size - 1), (0, 0), (1, 1)] {
            let image = Self.noise(width: width, height: height, mode: .rgb, seed: 3)
            #expect(filter.apply(to: image) == image)
        }
    }

    @Test("integer forms equal Pillow's float32 arithmetic", arguments: kernelFilters)
    func integerFormsMatchFloats(filter: ImageFilter) throws {
        let kernel = try #require(filter.pillowKernel)
        for (seed, spread) in [(1, 256), (2, 256), (3, 40), (4, 12), (5, 3), (6, 1)] as [(UInt64, Int)] {
            for mode in Image.Mode.allCases {
                let image = Self.noise(width: 41, height: 37, mode: mode, seed: seed, spread: spread)
                #expect(filter.apply(to: image) == convolveWithPillowFloats(image, kernel),
                        "\(filter) \(mode) seed \(seed) spread \(spread)")
            }
        }
    }

    // MARK: the C kernels, every variant

    static let cKernels: [ImageFilter] = [.blur, .sharpen, .edgeEnhance, .edgeEnhanceMore, .findEdges, .contour, .emboss]

    /// `image` through `filter`'s C kernel in `variant`, row by row. Every output row starts as
    /// garbage (and the column sums are never initialised), so a byte the kernel fails to write shows.
    static func filteredInC(_ image: Image, _ filter: ImageFilter, variant: KernelVariant) -> Image {
        guard let kernel = CKernel(filter), let size = filter.kernelSize,
              image.width >= size, image.height >= size else { return image }
        let radius = size / 2, stride = image.stride
        var out = [UInt8](repeating: 0xA5, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let base = src.baseAddress, let outBase = dst.baseAddress else { return }
                RowScratch.with(stride: stride, kernel: nil) { scratch in
                    for y in 0..<image.height {
                        let c = base + y * stride
                        guard y >= radius, y < image.height - radius else {
                            (outBase + y * stride).update(from: c, count: stride)
                            continue
                        }
                        let window = RowWindow(m2: c - radius * stride, m1: c - stride, c: c,
                                               p1: c + stride, p2: c + radius * stride)
                        kernel.row(window, into: outBase + y * stride, stride: stride, bands: image.bands,
                                   scratch: scratch, variant: variant)
                    }
                }
            }
        }
        return Image(width: image.width, height: image.height, mode: image.mode, pixels: out)
    }

    /// Test images for the C kernels: noise of several spreads, then the extremes of every sum: all 0,
    /// all 255, and dots (every other pixel of every other row) of 0 among 255 and of 255 among 0,
    /// where a pixel's ring of 8 is the opposite extreme of the pixel itself.
    static func kernelInputs(width: Int, height: Int, mode: Image.Mode, seed: UInt64) -> [Image] {
        var images = [(256, 1), (256, 2), (40, 3), (2, 4)].map {
            noise(width: width, height: height, mode: mode, seed: seed &* 31 &+ UInt64($0.1), spread: $0.0)
        }
        let count = width * height * mode.bands
        for (dot, rest) in [(UInt8(0), UInt8(0)), (255, 255), (0, 255), (255, 0)] {
            let pixels = (0..<count).map { i -> UInt8 in
                let x = i / mode.bands % max(width, 1), y = i / max(width * mode.bands, 1)
                return x % 2 == 0 && y % 2 == 0 ? dot : rest
            }
            images.append(Image(width: width, height: height, mode: mode, pixels: pixels))
        }
        return images
    }

    @Test("the C kernels, each variant, equal Pillow's float arithmetic at every width 0…40",
          arguments: cKernels)
    func cKernelsEveryWidth(filter: ImageFilter) throws {
        let kernel = try #require(filter.pillowKernel)
        // Where the CPU lacks AVX2, `.avx2` runs the baseline code, so this still passes there.
        for width in 0...40 {
            for height in [0, 1, 2, 3, 4, 5, 6, 9] {
                for mode in Image.Mode.allCases {
                    for image in Self.kernelInputs(width: width, height: height, mode: mode,
                                                   seed: UInt64(width * 64 + height)) {
                        let expected = convolveWithPillowFloats(image, kernel)
                        for variant in KernelVariant.allCases {
                            #expect(Self.filteredInC(image, filter, variant: variant) == expected,
                                    "\(filter) \(variant) \(mode) \(width)×\(height)")
                        }
                        #expect(filter.apply(to: image) == expected, "\(filter) \(mode) \(width)×\(height)")
                    }
                }
            }
        }
    }

    @Test("the C kernels, each variant, equal Pillow's float arithmetic on wide images", arguments: cKernels)
    func cKernelsWide(filter: ImageFilter) throws {
        let kernel = try #require(filter.pillowKernel)
        for (width, height) in [(1920, 7), (1921, 6), (1000, 9), (4099, 5), (257, 40)] {
            for mode in Image.Mode.allCases {
                for image in Self.kernelInputs(width: width, height: height, mode: mode, seed: UInt64(width + height)) {
                    let expected = convolveWithPillowFloats(image, kernel)
                    for variant in KernelVariant.allCases {
                        #expect(Self.filteredInC(image, filter, variant: variant) == expected,
                                "\(filter) \(variant) \(mode) \(width)×\(height)")
                    }
                    #expect(image.applying([filter], threads: 3) == expected, "\(filter) \(mode) \(width)×\(height)")
                }
            }
        }
    }

    @Test("the branch-free clip truncates exactly like Pillow's clip8")
    func clipMatchesPillow() {
        func clip8(_ v: Float) -> UInt8 { v <= 0 ? 0 : v >= 255 ? 255 : UInt8(v) }
        var values: [Float] = [-.infinity, .infinity, -0.0, 0, .leastNonzeroMagnitude, 1e9, -1e9]
        for k in -1024...(256 * 1024) { values.append(Float(k) / 1024) }
        for n in -1...257 {
            let v = Float(n)
            values += [v.nextDown, v.nextUp, (v + 0.5).nextDown, v + 0.5, (v + 0.5).nextUp]
        }
        for v in values where clipToByte(v) != clip8(v) {
            Issue.record("clipToByte(\(v)) = \(clipToByte(v)), clip8 = \(clip8(v))")
        }
        #expect(clipToByte(.nan) == 0)
    }

    // MARK: grayscale and enhancers, by hand

    @Test("grayscale is (R·19595 + G·38470 + B·7471 + 0x8000) >> 16, alpha dropped")
    func grayscale() {
        let rgb = Image(width: 5, height: 1, mode: .rgb,
                        pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 100, 150, 200])
        let grey = ImageFilter.grayscale.apply(to: rgb)
        #expect(grey.mode == .l)
        #expect(grey.pixels == [76, 150, 29, 255, 141])
        let rgba = Image(width: 1, height: 1, mode: .rgba, pixels: [100, 150, 200, 7])
        #expect(ImageFilter.grayscale.apply(to: rgba).pixels == [141])
        let l = Image(width: 2, height: 1, mode: .l, pixels: [3, 4])
        #expect(ImageFilter.grayscale.apply(to: l) == l)
    }

    @Test("grayscale gives the scalar formula's byte for every input")
    func grayscaleBlocksExact() {
        // Edges: every (R, G) with B at both extremes, and each band swept with the others at 0 or 255.
        var triples: [(UInt8, UInt8, UInt8)] = []
        for r in 0...255 {
            for g in 0...255 { triples += [(UInt8(r), UInt8(g), 0), (UInt8(r), UInt8(g), 255)] }
        }
        for v in 0...255 {
            let v = UInt8(v)
            for other in [UInt8(0), 255] { triples += [(v, other, other), (other, v, other), (other, other, v)] }
        }
        var random = SplitMix(seed: 99)
        for _ in 0..<(1 << 21) {
            let word = random.next()
            triples.append((UInt8(truncatingIfNeeded: word), UInt8(truncatingIfNeeded: word >> 8),
                            UInt8(truncatingIfNeeded: word >> 16)))
        }
        let expected = triples.map { luma($0.0, $0.1, $0.2) }
        // 1021 is no multiple of 16, so every image also ends in the scalar tail.
        let width = 1021, height = (triples.count + width - 1) / width
        let padding = width * height - triples.count
        for mode in [Image.Mode.rgb, .rgba] {
            var pixels: [UInt8] = []
            pixels.reserveCapacity(width * height * mode.bands)
            for (i, t) in triples.enumerated() {
                pixels += [t.0, t.1, t.2]
                if mode == .rgba { pixels.append(UInt8(truncatingIfNeeded: i)) }
            }
            pixels += [UInt8](repeating: 0, count: padding * mode.bands)
            let grey = ImageFilter.grayscale.apply(to: Image(width: width, height: height, mode: mode, pixels: pixels))
            #expect(Array(grey.pixels.prefix(triples.count)) == expected, "\(mode)")
        }
    }

    @Test("grayscale is exact at every width, where blocks and the scalar tail meet")
    func grayscaleEveryWidth() {
        for width in 0...40 {
            for mode in [Image.Mode.rgb, .rgba] {
                let image = Self.noise(width: width, height: 3, mode: mode, seed: UInt64(width))
                let expected = (0..<(width * 3)).map { p in
                    luma(image.pixels[p * mode.bands], image.pixels[p * mode.bands + 1], image.pixels[p * mode.bands + 2])
                }
                #expect(ImageFilter.grayscale.apply(to: image).pixels == expected, "\(mode) width \(width)")
                // Through the row-by-row path a kernel filter and grayscale share.
                let fused = image.applying([.emboss, .grayscale])
                #expect(fused == ImageFilter.grayscale.apply(to: ImageFilter.emboss.apply(to: image)),
                        "\(mode) width \(width)")
            }
        }
    }

    // MARK: grayscale, byte sum and lookup table in C, every variant

    /// Row lengths for the C row functions: every one up to 64 (each vector width and its tail),
    /// then rows of a few frame widths, and one past a 2¹⁶-byte chunk of the byte sum.
    static let rowLengths = Array(0...64) + [255, 1920, 1921, 4099, 65_535, 65_536, 65_537, 200_003]

    /// Random bytes, then the extremes: all 0, all 255, and 0 and 255 alternating.
    static func rowInputs(count: Int, seed: UInt64) -> [[UInt8]] {
        var random = SplitMix(seed: seed)
        return [
            (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) },
            [UInt8](repeating: 0, count: count),
            [UInt8](repeating: 255, count: count),
            (0..<count).map { $0 % 2 == 0 ? 0 : 255 },
        ]
    }

    /// Calls `body` with `count` bytes that start as garbage, followed by 16 guard bytes, and
    /// returns them with whether the guard bytes are untouched.
    static func writtenRow(count: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Void) -> (row: [UInt8], guarded: Bool) {
        var out = [UInt8](repeating: 0xA5, count: count + 16)
        out.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        return (Array(out.prefix(count)), out.suffix(16).allSatisfy { $0 == 0xA5 })
    }

    @Test("the C grayscale row, each variant, gives the scalar formula for RGB and RGBA")
    func lumaRowEveryVariant() {
        for count in Self.rowLengths where count <= 4099 {
            for bands in [3, 4] {
                for input in Self.rowInputs(count: count * bands, seed: UInt64(count * 8 + bands)) {
                    let expected = (0..<count).map { luma(input[$0 * bands], input[$0 * bands + 1], input[$0 * bands + 2]) }
                    for variant in KernelVariant.allCases {
                        let (row, guarded) = input.withUnsafeBufferPointer { src in
                            Self.writtenRow(count: count) { lumaRow(src.baseAddress!, $0, count: count, bands: bands, variant: variant) }
                        }
                        #expect(row == expected && guarded, "\(variant) bands \(bands) count \(count)")
                    }
                }
            }
        }
    }

    @Test("the C byte sum, each variant, is the sum of the bytes")
    func byteSumEveryVariant() {
        for count in Self.rowLengths {
            for input in Self.rowInputs(count: count, seed: UInt64(count)) {
                let expected = input.reduce(0) { $0 + Int($1) }
                for variant in KernelVariant.allCases {
                    let sum = input.withUnsafeBufferPointer { byteSum($0.baseAddress!, count: count, variant: variant) }
                    #expect(sum == expected, "\(variant) count \(count)")
                }
            }
        }
    }

    @Test("the C lookup-table row, each variant, maps colour bytes and copies alpha")
    func lutRowEveryVariant() {
        var random = SplitMix(seed: 5)
        let tables = [(0...255).map { UInt8(255 - $0) }, (0...255).map { _ in UInt8(truncatingIfNeeded: random.next()) }]
        for count in Self.rowLengths where count <= 4099 {
            // `bands` 1 maps every byte (L and RGB), 4 leaves every fourth byte alone (RGBA).
            for bands in [1, 4] {
                let length = count * bands
                for input in Self.rowInputs(count: length, seed: UInt64(count * 8 + bands)) {
                    for table in tables {
                        let expected = (0..<length).map { bands == 4 && $0 % 4 == 3 ? input[$0] : table[Int(input[$0])] }
                        for variant in KernelVariant.allCases {
                            let (row, guarded) = input.withUnsafeBufferPointer { src in
                                table.withUnsafeBufferPointer { lut in
                                    Self.writtenRow(count: length) {
                                        lutRow(lut.baseAddress!, src.baseAddress!, $0, count: length, bands: bands, variant: variant)
                                    }
                                }
                            }
                            #expect(row == expected && guarded, "\(variant) bands \(bands) count \(count)")
                        }
                    }
                }
            }
        }
    }

    @Test("a kernel filter followed by grayscale gives the same image in one pass", arguments: kernelFilters)
    func kernelThenGrayscale(filter: ImageFilter) {
        for (width, height) in [(41, 37), (9, 7), (5, 5), (4, 9), (9, 2), (1, 1), (0, 0), (33, 1)] {
            for mode in Image.Mode.allCases {
                let image = Self.noise(width: width, height: height, mode: mode, seed: UInt64(width * height))
                let separate = ImageFilter.grayscale.apply(to: filter.apply(to: image))
                #expect(image.applying([filter, .grayscale]) == separate, "\(filter) \(mode) \(width)×\(height)")
                #expect(image.applying([filter, .grayscale, .contrast(1.5)])
                        == ImageFilter.contrast(1.5).apply(to: separate), "\(filter) \(mode) \(width)×\(height)")
            }
        }
    }

    static let everyFilter: [ImageFilter] = kernelFilters + [
        .grayscale, .contrast(1.5), .contrast(-0.7), .brightness(1.7), .color(0.2), .color(-0.5),
        .sharpness(2), .sharpness(-1.3), .contrast(.nan), .sharpness(.nan),
    ]

    @Test("splitting rows into bands on several threads changes no byte", arguments: everyFilter)
    func bandsChangeNothing(filter: ImageFilter) {
        // Heights below the thread count, single rows and columns, and images smaller than kernels.
        let sizes = [(41, 37), (64, 3), (9, 7), (5, 5), (3, 2), (7, 1), (1, 7), (1, 1), (0, 0), (6, 0)]
        for (width, height) in sizes {
            for mode in Image.Mode.allCases {
                let image = Self.noise(width: width, height: height, mode: mode, seed: UInt64(width + 100 * height))
                let single = image.applying([filter])
                #expect(single == filter.apply(to: image))
                for threads in [2, 3, 4, 8] {
                    #expect(image.applying([filter], threads: threads) == single,
                            "\(filter) \(mode) \(width)×\(height) on \(threads) threads")
                }
            }
        }
    }

    @Test("pipelines on several threads, and thread counts below one, give the same image")
    func bandedPipelines() throws {
        let image = Self.noise(width: 57, height: 23, mode: .rgba, seed: 21)
        for list in ["blur,grayscale,contrast", "blur,sharpen,contour,grayscale,contrast", "detail,smooth_more,emboss",
                     "smooth_more,grayscale,brightness=0.4", "color=1.8,sharpness=0.5,contrast=2.5,grayscale"] {
            let filters = try ImageFilter.parseList(list)
            let single = filters.reduce(image) { $1.apply(to: $0) }
            for threads in [-1, 0, 1, 2, 3, 5] {
                #expect(image.applying(filters, threads: threads) == single, "\(list) on \(threads) threads")
            }
        }
    }

    @Test("contrast and brightness blend with the mean grey or black, clip, truncate, keep alpha")
    func enhancers() {
        let l = Image(width: 2, height: 1, mode: .l, pixels: [100, 200])  // mean 150
        #expect(ImageFilter.contrast(1.5).apply(to: l).pixels == [75, 225])
        #expect(ImageFilter.contrast(3).apply(to: l).pixels == [0, 255])
        #expect(ImageFilter.contrast(0).apply(to: l).pixels == [150, 150])
        #expect(ImageFilter.brightness(1.7).apply(to: l).pixels == [170, 255])
        #expect(ImageFilter.brightness(0.33).apply(to: l).pixels == [33, 66])

        // Mean of the greys 255·… : (76 + 150) / 2 = 113; alpha is left alone.
        let rgba = Image(width: 2, height: 1, mode: .rgba, pixels: [255, 0, 0, 9, 0, 255, 0, 200])
        #expect(ImageFilter.contrast(2).apply(to: rgba).pixels == [255, 0, 0, 9, 0, 255, 0, 200])
        #expect(ImageFilter.contrast(0.5).apply(to: rgba).pixels == [184, 56, 56, 9, 56, 184, 56, 200])
        // Colour 0 is the grey in every colour band.
        #expect(ImageFilter.color(0).apply(to: rgba).pixels == [76, 76, 76, 9, 150, 150, 150, 200])
        #expect(ImageFilter.sharpness(3).apply(to: rgba) == rgba)  // nothing to smooth in 2×1
    }

    @Test("enhancers keep alpha, and non-finite factors do not trap", arguments: [
        ImageFilter.contrast(2.2), .brightness(0.4), .color(-1), .sharpness(5), .contrast(.nan), .color(.infinity),
    ])
    func alphaKept(filter: ImageFilter) {
        let image = Self.noise(width: 7, height: 6, mode: .rgba, seed: 5)
        let result = filter.apply(to: image)
        #expect(result.mode == .rgba)
        #expect(Swift.stride(from: 3, to: image.pixels.count, by: 4).allSatisfy { result.pixels[$0] == image.pixels[$0] })
    }

    @Test("filters apply in order; grayscale turns the rest of the pipeline into L")
    func pipeline() throws {
        let image = Self.noise(width: 20, height: 10, mode: .rgb, seed: 11)
        let filters = try ImageFilter.parseList("blur, contrast ,grayscale")
        #expect(filters == [.blur, .contrast(1.5), .grayscale])
        let result = image.applying(filters)
        #expect(result.mode == .l)
        #expect(result == ImageFilter.grayscale.apply(to: ImageFilter.contrast(1.5).apply(to: ImageFilter.blur.apply(to: image))))
        #expect(image.applying([]) == image)
    }

    // MARK: parsing

    @Test("tokens parse, and print back to themselves", arguments: [
        ("blur", ImageFilter.blur), ("EDGE_ENHANCE_MORE", .edgeEnhanceMore), ("find_edges", .findEdges),
        ("smooth_more", .smoothMore), ("grayscale", .grayscale), ("contrast", .contrast(1.5)),
        ("contrast=2.5", .contrast(2.5)), ("brightness=1.7", .brightness(1.7)), ("color=-0.5", .color(-0.5)),
        (" sharpness = 2 ", .sharpness(2)),
    ])
    func parses(token: String, filter: ImageFilter) throws {
        #expect(try ImageFilter.parse(token) == filter)
        #expect(try ImageFilter.parse(filter.description) == filter)
    }

    @Test("bad tokens name the token and list the valid filters", arguments: [
        ("blurr", ImageFilterParseError.Problem.unknownName), ("brightness", .missingFactor),
        ("color", .missingFactor), ("blur=2", .unexpectedFactor), ("contrast=abc", .badFactor),
        ("contrast=", .badFactor), ("sharpness=inf", .badFactor), ("contrast=1e99", .badFactor), ("", .empty),
    ])
    func rejects(token: String, problem: ImageFilterParseError.Problem) {
        #expect {
            try ImageFilter.parse(token)
        } throws: { error in
            guard let error = error as? ImageFilterParseError else { return false }
            return error.problem == problem && error.description.contains("\"\(token)")
                && error.description.contains("edge_enhance_more, emboss") && error.description.contains("contrast[=F]")
        }
    }

    @Test("lists reject empty items and empty text")
    func rejectsEmptyItems() {
        #expect(throws: ImageFilterParseError(token: "blur,,smooth", problem: .empty)) {
            try ImageFilter.parseList("blur,,smooth")
        }
        #expect(throws: ImageFilterParseError(token: " ", problem: .emptyList)) { try ImageFilter.parseList(" ") }
    }

    @Test("Codable uses the token form")
    func codable() throws {
        let filters: [ImageFilter] = [.contrast(0.3), .brightness(1.7), .emboss, .edgeEnhance]
        let json = try JSONEncoder().encode(filters)
        #expect(String(decoding: json, as: UTF8.self) == #"["contrast=0.3","brightness=1.7","emboss","edge_enhance"]"#)
        #expect(try JSONDecoder().decode([ImageFilter].self, from: json) == filters)
        #expect(throws: (any Error).self) { try JSONDecoder().decode([ImageFilter].self, from: Data(#"["blurr"]"#.utf8)) }
    }
}
