import CTrenzaKernels

/// The resampling filters of Pillow's `Image.resize`, by their `Image.Resampling` names.
public enum ResampleFilter: String, Sendable, Codable, CaseIterable {
    /// The source pixel under each output pixel's centre; RGBA is not premultiplied for it.
    case nearest
    /// The mean of the source pixels each output pixel covers.
    case box
    /// The triangle filter.
    case bilinear
    /// A Hamming-windowed sinc, one pixel wide: sharper than bilinear at the same cost.
    case hamming
    /// Keys' cubic with a = −0.5: the default.
    case bicubic
    /// A three-lobed Lanczos-windowed sinc.
    case lanczos

    /// `Image.resize`'s default.
    public static let `default` = ResampleFilter.bicubic

    /// How far the filter reaches at scale 1, in source pixels (Pillow's `_filters_support`,
    /// where NEAREST counts as 0.5).
    var support: Double {
        switch self {
        case .nearest, .box: 0.5
        case .bilinear, .hamming: 1
        case .bicubic: 2
        case .lanczos: 3
        }
    }

    /// The C convolution filter; nil for NEAREST, which Pillow does by affine scaling instead.
    var convolution: trenza_resample_filter? {
        switch self {
        case .nearest: nil
        case .box: TRENZA_RESAMPLE_BOX
        case .bilinear: TRENZA_RESAMPLE_BILINEAR
        case .hamming: TRENZA_RESAMPLE_HAMMING
        case .bicubic: TRENZA_RESAMPLE_BICUBIC
        case .lanczos: TRENZA_RESAMPLE_LANCZOS
        }
    }
}

/// A source region in Pillow's float coordinates: left, top, right, bottom.
struct SourceBox: Equatable {
    var left: Double, top: Double, right: Double, bottom: Double

    static func whole(_ image: Image) -> SourceBox {
        SourceBox(left: 0, top: 0, right: Double(image.width), bottom: Double(image.height))
    }

    /// The box as Pillow's C layer receives it: single precision.
    var floats: [Float] { [Float(left), Float(top), Float(right), Float(bottom)] }
}

extension Image {
    /// `image.resize((width, height), filter)`: a copy when the size is already right; RGBA is
    /// premultiplied by its alpha around every filter but NEAREST, as Pillow does.
    public func resized(width: Int, height: Int, filter: ResampleFilter = .default) -> Image {
        precondition(width >= 1 && height >= 1, "a resized image needs a positive size")
        if width == self.width && height == self.height { return self }
        return resampled(width: width, height: height, filter: filter, box: .whole(self))
    }

    /// The Python level of `resize` with a box (no reducing gap): alpha premultiplied for the
    /// convolution filters, then the C level.
    func resampled(width: Int, height: Int, filter: ResampleFilter, box: SourceBox) -> Image {
        if mode == .rgba && filter != .nearest {
            return premultiplied().resampledCore(width: width, height: height, filter: filter, box: box)
                .unpremultiplied()
        }
        return resampledCore(width: width, height: height, filter: filter, box: box)
    }

    /// The C level of Pillow's `resize`: a plain crop when the box is whole pixels of exactly the
    /// output size, NEAREST's affine scaling, or the two-pass convolution.
    private func resampledCore(width outWidth: Int, height outHeight: Int, filter: ResampleFilter,
                               box: SourceBox) -> Image {
        let f = box.floats
        if f[0] == f[0].rounded(.towardZero), f[2] - f[0] == Float(outWidth),
           f[1] == f[1].rounded(.towardZero), f[3] - f[1] == Float(outHeight) {
            return cropped(x: Int(f[0]), y: Int(f[1]), width: outWidth, height: outHeight)
        }
        let b = bands
        let out = pixels.withUnsafeBufferPointer { src in
            f.withUnsafeBufferPointer { boxPointer in
                makePixels(count: outWidth * outHeight * b) { dst in
                    let status: Int32 = if let convolution = filter.convolution {
                        trenza_resample(src.baseAddress, Int32(width), Int32(height), Int32(b),
                                        boxPointer.baseAddress, convolution, dst, Int32(outWidth), Int32(outHeight))
                    } else {
                        trenza_resize_nearest(src.baseAddress, Int32(width), Int32(height), Int32(b),
                                              boxPointer.baseAddress, dst, Int32(outWidth), Int32(outHeight))
                    }
                    precondition(status == 0, "out of memory resampling a \(width)×\(height) image")
                }
            }
        }
        return Image(width: outWidth, height: outHeight, mode: mode, pixels: out)
    }

    /// `image.reduce((xFactor, yFactor), box)` for `L` and `RGB` (and premultiplied RGBA, which is
    /// what Pillow reduces): block means, partial blocks at the right and bottom.
    func reduced(xFactor: Int, yFactor: Int, box: (left: Int, top: Int, right: Int, bottom: Int)) -> Image {
        if xFactor == 1 && yFactor == 1 {
            return cropped(x: box.left, y: box.top, width: box.right - box.left, height: box.bottom - box.top)
        }
        let outWidth = (box.right - box.left + xFactor - 1) / xFactor
        let outHeight = (box.bottom - box.top + yFactor - 1) / yFactor
        let b = bands
        let edges = [Int32(box.left), Int32(box.top), Int32(box.right), Int32(box.bottom)]
        let out = pixels.withUnsafeBufferPointer { src in
            edges.withUnsafeBufferPointer { edges in
                makePixels(count: outWidth * outHeight * b) { dst in
                    trenza_reduce(src.baseAddress, Int32(width), Int32(b), edges.baseAddress,
                                  Int32(xFactor), Int32(yFactor), dst)
                }
            }
        }
        return Image(width: outWidth, height: outHeight, mode: mode, pixels: out)
    }

    func premultiplied() -> Image {
        var copy = self
        copy.pixels.withUnsafeMutableBufferPointer { p in
            trenza_premultiply_alpha(p.baseAddress, p.baseAddress, p.count / 4)
        }
        return copy
    }

    func unpremultiplied() -> Image {
        var copy = self
        copy.pixels.withUnsafeMutableBufferPointer { p in
            trenza_unpremultiply_alpha(p.baseAddress, p.baseAddress, p.count / 4)
        }
        return copy
    }
}
