/// An 8-bit image in memory: grey (`L`), `RGB` or `RGBA`, pixels interleaved row by row.
///
/// The modes and their names are Pillow's, since Trenza's filters reproduce Pillow's results byte
/// for byte; other Pillow modes (palette, 16-bit, CMYK) are converted to one of these on decode.
public struct Image: Sendable, Equatable {
    /// How many 8-bit bands each pixel has, and what they mean.
    public enum Mode: String, Sendable, Codable, CaseIterable {
        case l = "L"
        case rgb = "RGB"
        case rgba = "RGBA"

        /// Bytes per pixel.
        public var bands: Int {
            switch self {
            case .l: 1
            case .rgb: 3
            case .rgba: 4
            }
        }
    }

    public let width: Int
    public let height: Int
    public let mode: Mode
    /// `width × height × mode.bands` bytes: row 0 first, bands interleaved (R, G, B, R, G, B, …).
    public var pixels: [UInt8]

    /// An image over existing pixels; `pixels` must hold exactly `width × height × bands` bytes.
    public init(width: Int, height: Int, mode: Mode, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "image dimensions must not be negative")
        precondition(pixels.count == width * height * mode.bands,
                     "a \(width)×\(height) \(mode.rawValue) image needs \(width * height * mode.bands) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.mode = mode
        self.pixels = pixels
    }

    /// An image of one colour: `fill` gives the value of each band (its count must match the mode).
    public init(width: Int, height: Int, mode: Mode, fill: [UInt8]) {
        precondition(fill.count == mode.bands, "\(mode.rawValue) needs \(mode.bands) fill values")
        var pixels = [UInt8]()
        pixels.reserveCapacity(width * height * mode.bands)
        for _ in 0..<(width * height) { pixels.append(contentsOf: fill) }
        self.init(width: width, height: height, mode: mode, pixels: pixels)
    }

    public var bands: Int { mode.bands }

    /// Bytes per row.
    public var stride: Int { width * mode.bands }

    /// The bands of the pixel at (`x`, `y`).
    public subscript(x: Int, y: Int) -> ArraySlice<UInt8> {
        let start = (y * width + x) * bands
        return pixels[start..<start + bands]
    }
}
