import CTrenzaCodecs

/// The file formats Trenza reads and writes.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case png
    case jpeg

    /// The extension Trenza gives files it writes in this format, without the dot.
    public var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        }
    }

    /// Every extension taken to mean this format, lower case, without the dot.
    public var fileExtensions: [String] {
        switch self {
        case .png: ["png"]
        case .jpeg: ["jpg", "jpeg", "jpe", "jfif"]
        }
    }

    /// The format a file extension stands for (`"JPG"`, `"png"`, with or without the dot), or nil.
    public init?(fileExtension: some StringProtocol) {
        var name = fileExtension.lowercased()
        if name.hasPrefix(".") { name.removeFirst() }
        guard let format = Self.allCases.first(where: { $0.fileExtensions.contains(name) }) else {
            return nil
        }
        self = format
    }

    /// The format named by the extension of the last component of `path`, or nil.
    public init?(path: String) {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        self.init(fileExtension: name[name.index(after: dot)...])
    }
}

/// What compresses the pixel data of the PNG files Trenza writes.
public enum PNGDeflater: String, Sendable, Codable, CaseIterable {
    /// Rows filtered by Trenza (libpng's adaptive choice) and deflated in one libdeflate call:
    /// about twice as fast as zlib at the same level, files within a percent of its size.
    case libdeflate
    /// libpng with zlib, byte for byte the files Trenza wrote before libdeflate.
    case zlib
}

/// Why an image could not be read or written, in words a user can act on.
public struct ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A complete sentence fragment without a file name, e.g. "truncated JPEG (premature end of
    /// data)"; callers that know the path put it in front.
    public var message: String
    /// True when decoding stopped at the caller's deadline rather than on a problem of the file.
    public var timedOut: Bool

    public init(_ message: String, timedOut: Bool = false) {
        self.message = message
        self.timedOut = timedOut
    }

    public var description: String { message }
}

/// PNG and JPEG decoding and encoding for ``Image``, through libpng and libjpeg.
///
/// Decoded pixels match what Pillow's `Image.open` gives, mapped to Trenza's modes: grey → `L`;
/// grey+alpha → `RGBA`; palette → `RGB`, or `RGBA` when the PNG has a tRNS chunk; 1/2/4-bit grey
/// scaled to 0…255; 16-bit samples keep their high byte; gamma chunks do not change values;
/// JPEG YCbCr → `RGB`, CMYK/YCCK → `RGB` with Pillow's conversion.
public enum ImageCodec {
    /// The largest image decoded by default: Pillow's `Image.MAX_IMAGE_PIXELS`.
    public static let defaultMaxPixels = 89_478_485

    /// The largest JPEG side libjpeg can write.
    public static let maxJPEGDimension = 65_500

    /// The format `bytes` start like, or nil when they are neither PNG nor JPEG.
    public static func sniff(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        if bytes.starts(with: pngSignature) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }

    /// Decodes a PNG or JPEG file, whichever `bytes` hold.
    ///
    /// The size in the header is checked against `maxPixels` before any pixel memory is
    /// allocated, so a small file claiming a huge image (a decompression bomb) fails fast.
    public static func decode(
        _ bytes: [UInt8], maxPixels: Int = defaultMaxPixels
    ) throws(ImageError) -> (image: Image, format: ImageFormat) {
        let decoded = try decode(bytes, maxPixels: maxPixels, for: [])
        return (decoded.image, decoded.format)
    }

    /// Decodes a PNG or JPEG file for `filters`, with what they need to know about the file: its
    /// EXIF orientation (for `orient`) and, when `filters` start with a `thumbnail` of a JPEG,
    /// pixels already scaled down by libjpeg (Pillow's `draft`, which `thumbnail` calls).
    ///
    /// `maxPixels` applies to the size stored in the file, before any such scaling. A `deadline`
    /// (monotonic seconds, as `CLOCK_MONOTONIC` counts them) stops the decoding itself once passed,
    /// row by row, with an error whose ``ImageError/timedOut`` is true.
    public static func decode(
        _ bytes: [UInt8], maxPixels: Int = defaultMaxPixels, for filters: [ImageFilter], deadline: Double? = nil
    ) throws(ImageError) -> DecodedImage {
        guard !bytes.isEmpty else { throw ImageError("empty file (0 bytes), not a PNG or JPEG image") }
        guard let format = sniff(bytes) else {
            throw ImageError("not a PNG or JPEG file (starts with \(describeStart(of: bytes)))")
        }
        let decoder: any PixelDecoder.Type = switch format {
        case .png: PNGDecoder.self
        case .jpeg: JPEGDecoder.self
        }
        // Only a thumbnail that comes first reads the file itself; after any other filter Pillow's
        // image is loaded and draft has no effect.
        let draft: (Int, Int) -> Int = { width, height in
            guard format == .jpeg, case .thumbnail(let w, let h)? = filters.first else { return 1 }
            return DraftScaling.forThumbnail(width: w, height: h, fileWidth: width, fileHeight: height) ?? 1
        }
        return try bytes.withUnsafeBufferPointer { (buffer) throws(ImageError) -> DecodedImage in
            try decodeImage(buffer, with: decoder, format: format, maxPixels: maxPixels, draft: draft,
                            deadlineNanoseconds: deadline.map { UInt64(max(1, ($0 * 1e9).rounded(.up))) } ?? 0)
        }
    }

    /// Pillow's default zlib level for PNG.
    public static let defaultPNGCompression = 6

    /// Encodes an 8-bit `L`, `RGB` or `RGBA` image as a PNG (lossless) at `compression` level
    /// 0…9: lower is faster and larger (deflate dominates PNG encoding of photographs). Both
    /// deflaters give the same pixels; the bytes of the file differ between them.
    public static func encodePNG(
        _ image: Image, compression: Int = defaultPNGCompression, deflater: PNGDeflater = .libdeflate
    ) throws(ImageError) -> [UInt8] {
        guard (0...9).contains(compression) else {
            throw ImageError("PNG compression must be 0…9, got \(compression)")
        }
        guard image.width > 0, image.height > 0 else {
            throw ImageError("cannot write an empty \(image.width)×\(image.height) image as PNG")
        }
        guard image.width <= Int(Int32.max), image.height <= Int(Int32.max) else {
            throw ImageError("image is \(image.width)×\(image.height), too large for PNG")
        }
        return try encodeWith(image, format: "PNG") { pixels, out, status in
            switch deflater {
            case .libdeflate:
                trenza_png_encode_libdeflate(pixels, UInt32(image.width), UInt32(image.height), Int32(image.bands),
                                             Int32(compression), out, status)
            case .zlib:
                trenza_png_encode(pixels, UInt32(image.width), UInt32(image.height), Int32(image.bands),
                                  Int32(compression), out, status)
            }
        }
    }

    /// Encodes an `L` image as a greyscale JPEG or an `RGB` one as YCbCr with 4:2:0 chroma
    /// subsampling (Pillow's default), at `quality` 1…100 (Pillow's default 75).
    ///
    /// JPEG has no alpha: like Pillow, `RGBA` is refused rather than silently flattened.
    public static func encodeJPEG(_ image: Image, quality: Int = 75) throws(ImageError) -> [UInt8] {
        guard image.mode != .rgba else {
            throw ImageError("cannot write mode RGBA as JPEG (JPEG has no alpha; convert to RGB first)")
        }
        guard (1...100).contains(quality) else {
            throw ImageError("JPEG quality must be 1…100, got \(quality)")
        }
        guard image.width > 0, image.height > 0 else {
            throw ImageError("cannot write an empty \(image.width)×\(image.height) image as JPEG")
        }
        guard image.width <= maxJPEGDimension, image.height <= maxJPEGDimension else {
            throw ImageError(
                "image is \(image.width)×\(image.height), over JPEG's limit of \(maxJPEGDimension) pixels a side")
        }
        return try encodeWith(image, format: "JPEG") { pixels, out, status in
            trenza_jpeg_encode(pixels, UInt32(image.width), UInt32(image.height), Int32(image.bands),
                               Int32(quality), out, status)
        }
    }

    /// Encodes `image` in `format`; `quality` (1…100) only matters for JPEG, `compression`
    /// (0…9) and `deflater` only for PNG.
    public static func encode(
        _ image: Image, as format: ImageFormat, quality: Int = 75, compression: Int = defaultPNGCompression,
        deflater: PNGDeflater = .libdeflate
    ) throws(ImageError) -> [UInt8] {
        switch format {
        case .png: try encodePNG(image, compression: compression, deflater: deflater)
        case .jpeg: try encodeJPEG(image, quality: quality)
        }
    }

    // MARK: - Internals

    private static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Up to four bytes in hex and as text, e.g. `3C 68 74 6D "<htm"`, so that the user can tell
    /// an HTML error page from a GIF or a WebP.
    static func describeStart(of bytes: [UInt8]) -> String {
        let head = bytes.prefix(4)
        let hex = head.map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
        let text = String(head.map { (0x20..<0x7F).contains($0) ? Character(UnicodeScalar($0)) : "." })
        return "\(hex) \"\(text)\""
    }

    private static func decodeImage(
        _ bytes: UnsafeBufferPointer<UInt8>, with decoder: any PixelDecoder.Type, format: ImageFormat,
        maxPixels: Int, draft: (Int, Int) -> Int, deadlineNanoseconds: UInt64
    ) throws(ImageError) -> DecodedImage {
        let name = format.displayName
        var status = trenza_codec_status()
        var info = trenza_image_info()
        guard let base = bytes.baseAddress,
              let handle = decoder.open(base, bytes.count, UInt64(max(0, maxPixels)), &info, &status)
        else {
            if status.code == TRENZA_CODEC_TOO_MANY_PIXELS { throw tooManyPixels(info, maxPixels: maxPixels) }
            throw error(from: &status, format: name)
        }
        defer { decoder.close(handle) }
        decoder.setDeadline(handle, deadlineNanoseconds)

        let fileWidth = Int(info.width), fileHeight = Int(info.height)
        let (filePixels, overflow) = fileWidth.multipliedReportingOverflow(by: fileHeight)
        if overflow || filePixels > maxPixels { throw tooManyPixels(info, maxPixels: maxPixels) }
        let scale = draft(fileWidth, fileHeight)
        if scale > 1 {
            guard decoder.scale(handle, scale, &info, &status) == TRENZA_CODEC_OK else {
                throw error(from: &status, format: name)
            }
        }
        let width = Int(info.width), height = Int(info.height)
        guard let mode = Image.Mode.allCases.first(where: { $0.bands == Int(info.channels) }) else {
            throw ImageError("internal error: \(name) decoder produced \(info.channels) bands")
        }
        let byteCount = width * height * mode.bands
        var failure: ImageError?
        let pixels = [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            let code = decoder.read(handle, buffer.baseAddress, byteCount, &status)
            if code == TRENZA_CODEC_OK {
                initialized = byteCount
            } else {
                failure = error(from: &status, format: name)
                initialized = 0
            }
        }
        if let failure { throw failure }
        return DecodedImage(image: Image(width: width, height: height, mode: mode, pixels: pixels), format: format,
                            orientation: Int(info.orientation), fileWidth: fileWidth, fileHeight: fileHeight,
                            draftScale: scale)
    }

    private static func tooManyPixels(_ info: trenza_image_info, maxPixels: Int) -> ImageError {
        let width = Int(info.width), height = Int(info.height)
        return ImageError(
            "image is \(width)×\(height) = \(width * height) pixels, over the limit of \(maxPixels) (--max-pixels)")
    }

    private static func encodeWith(
        _ image: Image, format: String,
        _ body: (UnsafePointer<UInt8>, UnsafeMutablePointer<trenza_codec_buffer>,
                 UnsafeMutablePointer<trenza_codec_status>) -> trenza_codec_code
    ) throws(ImageError) -> [UInt8] {
        var status = trenza_codec_status()
        var out = trenza_codec_buffer()
        defer { trenza_codec_buffer_free(&out) }
        let code = image.pixels.withUnsafeBufferPointer { pixels in
            body(pixels.baseAddress!, &out, &status)
        }
        guard code == TRENZA_CODEC_OK else {
            throw ImageError("could not write \(format): \(message(of: &status))")
        }
        return Array(UnsafeBufferPointer(start: out.data, count: out.size))
    }

    private static func error(from status: inout trenza_codec_status, format: String) -> ImageError {
        let detail = message(of: &status)
        return switch status.code {
        case TRENZA_CODEC_TRUNCATED: ImageError("truncated \(format) (\(detail))")
        case TRENZA_CODEC_UNSUPPORTED: ImageError("unsupported \(format): \(detail)")
        case TRENZA_CODEC_NO_MEMORY: ImageError("out of memory decoding \(format)")
        case TRENZA_CODEC_INVALID_ARGUMENT: ImageError("internal error decoding \(format): \(detail)")
        // The message names the limit and the format already.
        case TRENZA_CODEC_OVER_LIMIT: ImageError(detail)
        case TRENZA_CODEC_TIMED_OUT: ImageError("\(format) \(detail)", timedOut: true)
        default: ImageError("corrupt \(format) (\(detail))")
        }
    }

    private static func message(of status: inout trenza_codec_status) -> String {
        withUnsafeBytes(of: &status.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}

extension ImageFormat {
    /// The format's name in messages.
    var displayName: String {
        switch self {
        case .png: "PNG"
        case .jpeg: "JPEG"
        }
    }
}

/// The two-step C decoders (open reads the header, read the pixels) behind one interface.
private protocol PixelDecoder {
    /// Fails with TRENZA_CODEC_TOO_MANY_PIXELS when the decoder itself checks `maxPixels` (PNG,
    /// whose library would otherwise allocate for the claimed size while reading the header).
    static func open(_ data: UnsafePointer<UInt8>, _ size: Int, _ maxPixels: UInt64, _ info: UnsafeMutablePointer<trenza_image_info>,
                     _ status: UnsafeMutablePointer<trenza_codec_status>) -> OpaquePointer?
    static func read(_ handle: OpaquePointer, _ pixels: UnsafeMutablePointer<UInt8>?, _ capacity: Int,
                     _ status: UnsafeMutablePointer<trenza_codec_status>) -> trenza_codec_code
    static func close(_ handle: OpaquePointer)
    /// Stops `read` once CLOCK_MONOTONIC passes `nanoseconds` (0: never).
    static func setDeadline(_ handle: OpaquePointer, _ nanoseconds: UInt64)
    /// Decodes at 1/`denominator` of the size, where the format can.
    static func scale(_ handle: OpaquePointer, _ denominator: Int, _ info: UnsafeMutablePointer<trenza_image_info>,
                      _ status: UnsafeMutablePointer<trenza_codec_status>) -> trenza_codec_code
}

private enum PNGDecoder: PixelDecoder {
    static func open(_ data: UnsafePointer<UInt8>, _ size: Int, _ maxPixels: UInt64,
                     _ info: UnsafeMutablePointer<trenza_image_info>,
                     _ status: UnsafeMutablePointer<trenza_codec_status>) -> OpaquePointer? {
        trenza_png_decoder_open(data, size, maxPixels, info, status)
    }

    static func read(_ handle: OpaquePointer, _ pixels: UnsafeMutablePointer<UInt8>?, _ capacity: Int,
                     _ status: UnsafeMutablePointer<trenza_codec_status>) -> trenza_codec_code {
        trenza_png_decoder_read(handle, pixels, capacity, status)
    }

    static func close(_ handle: OpaquePointer) { trenza_png_decoder_close(handle) }
    static func setDeadline(_ handle: OpaquePointer, _ nanoseconds: UInt64) { trenza_png_decoder_set_deadline(handle, nanoseconds) }

    static func scale(_ handle: OpaquePointer, _ denominator: Int, _ info: UnsafeMutablePointer<trenza_image_info>,
                      _ status: UnsafeMutablePointer<trenza_codec_status>) -> trenza_codec_code {
        denominator == 1 ? TRENZA_CODEC_OK : TRENZA_CODEC_INVALID_ARGUMENT
    }
}

private enum JPEGDecoder: PixelDecoder {
    // libjpeg allocates nothing for the image while reading the header: the caller's check after
    // open comes first.
    static func open(_ data: UnsafePointer<UInt8>, _ size: Int, _ maxPixels: UInt64,
                     _ info: UnsafeMutablePointer<trenza_image_info>,
                     _ status: UnsafeMutablePointer<trenza_codec_status>) -> OpaquePointer? {
        trenza_jpeg_decoder_open(data, size, info, status)
    }

    static func read(_ handle: OpaquePointer, _ pixels: UnsafeMutablePointer<UInt8>?, _ capacity: Int,
                     _ status: UnsafeMutablePointer<trenza_codec_status>) -> trenza_codec_code {
        trenza_jpeg_decoder_read(handle, pixels, capacity, status)
    }

    static func close(_ handle: OpaquePointer) { trenza_jpeg_decoder_close(handle) }
    static func setDeadline(_ handle: OpaquePointer, _ nanoseconds: UInt64) { trenza_jpeg_decoder_set_deadline(handle, nanoseconds) }

    static func scale(_ handle: OpaquePointer, _ denominator: Int, _ info: UnsafeMutablePointer<trenza_image_info>,
                      _ status: UnsafeMutablePointer<trenza_codec_status>) -> trenza_codec_code {
        trenza_jpeg_decoder_scale(handle, Int32(denominator), info, status)
    }
}
