// Crops and the eight transpositions: pixels move, none is computed, so Pillow's bytes follow
// from putting each pixel where Pillow puts it.

/// One of Pillow's `Image.Transpose` operations: the flips, the quarter turns and the two diagonal
/// reflections an EXIF orientation can ask for.
public enum Transposition: Sendable, Equatable, CaseIterable {
    /// `FLIP_LEFT_RIGHT`: a mirror image.
    case flipLeftRight
    /// `FLIP_TOP_BOTTOM`: upside down, mirrored.
    case flipTopBottom
    /// `ROTATE_90`: a quarter turn counter-clockwise.
    case rotate90
    /// `ROTATE_180`.
    case rotate180
    /// `ROTATE_270`: a quarter turn clockwise.
    case rotate270
    /// `TRANSPOSE`: reflected in the diagonal from the top left.
    case transpose
    /// `TRANSVERSE`: reflected in the diagonal from the bottom left.
    case transverse

    /// What `ImageOps.exif_transpose` does for an EXIF Orientation value; nil for 1 (as stored)
    /// and for values outside 1…8.
    public init?(exifOrientation: Int) {
        switch exifOrientation {
        case 2: self = .flipLeftRight
        case 3: self = .rotate180
        case 4: self = .flipTopBottom
        case 5: self = .transpose
        case 6: self = .rotate270
        case 7: self = .transverse
        case 8: self = .rotate90
        default: return nil
        }
    }

    /// Whether width and height trade places.
    var swapsSides: Bool {
        switch self {
        case .rotate90, .rotate270, .transpose, .transverse: true
        default: false
        }
    }
}

extension Image {
    /// `image.transpose(method)`.
    public func transposed(_ method: Transposition) -> Image {
        let (w, h, b) = (width, height, bands)
        let outWidth = method.swapsSides ? h : w
        let outHeight = method.swapsSides ? w : h
        // For each output pixel, the source pixel's index as (x, y) in the output → source.
        let source: (Int, Int) -> Int = switch method {
        case .flipLeftRight: { x, y in y * w + (w - 1 - x) }
        case .flipTopBottom: { x, y in (h - 1 - y) * w + x }
        case .rotate180: { x, y in (h - 1 - y) * w + (w - 1 - x) }
        case .rotate90: { x, y in x * w + (w - 1 - y) }
        case .rotate270: { x, y in (h - 1 - x) * w + y }
        case .transpose: { x, y in x * w + y }
        case .transverse: { x, y in (h - 1 - x) * w + (w - 1 - y) }
        }
        let out = pixels.withUnsafeBufferPointer { src in
            makePixels(count: outWidth * outHeight * b) { dst in
                guard let src = src.baseAddress else { return }
                var o = 0
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        let s = source(x, y) * b
                        for band in 0..<b { dst[o + band] = src[s + band] }
                        o += b
                    }
                }
            }
        }
        return Image(width: outWidth, height: outHeight, mode: mode, pixels: out)
    }

    /// `image.crop((x, y, x + width, y + height))`: like Pillow, the parts of the box outside the
    /// image come out as zero bytes (black, transparent). ``ImageFilter/checkCrop(_:)`` tells a
    /// pipeline about such a box before it is applied.
    public func cropped(x: Int, y: Int, width outWidth: Int, height outHeight: Int) -> Image {
        precondition(outWidth >= 0 && outHeight >= 0, "a crop box must not have a negative size")
        let b = bands
        var out = [UInt8](repeating: 0, count: outWidth * outHeight * b)
        let x0 = max(x, 0), x1 = min(x + outWidth, width)
        let y0 = max(y, 0), y1 = min(y + outHeight, height)
        guard x0 < x1, y0 < y1 else { return Image(width: outWidth, height: outHeight, mode: mode, pixels: out) }
        let span = (x1 - x0) * b
        out.withUnsafeMutableBufferPointer { dst in
            pixels.withUnsafeBufferPointer { src in
                for row in y0..<y1 {
                    let from = (row * width + x0) * b
                    let to = ((row - y) * outWidth + (x0 - x)) * b
                    (dst.baseAddress! + to).update(from: src.baseAddress! + from, count: span)
                }
            }
        }
        return Image(width: outWidth, height: outHeight, mode: mode, pixels: out)
    }
}
