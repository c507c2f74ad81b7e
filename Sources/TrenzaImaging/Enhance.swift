// Pillow's convert("L") and ImageEnhance (Contrast, Brightness, Color, Sharpness), byte for byte.
//
// Pillow 12.0.0 sources:
// - src/libImaging/Convert.c: rgb2l (RGB and RGBA to L) is (R·19595 + G·38470 + B·7471 + 0x8000) >> 16,
//   rgba2la keeps alpha, l2rgb / la2rgb repeat the grey (alpha 255 from L).
// - src/PIL/ImageEnhance.py: every enhancer returns Image.blend(degenerate, image, factor), with
//   degenerate = the image's mean grey (Contrast: int(mean of convert("L") + 0.5)), black
//   (Brightness), convert("L"/"LA").convert(mode) (Color) or filter(SMOOTH) (Sharpness); all but
//   Color put the image's own alpha into the degenerate image, and Color's LA round trip keeps it,
//   so alpha always blends with itself and stays as it was.
// - src/PIL/ImageStat.py: mean = Σ i·histogram[i] / count (a Python float), 0 for an empty image.
// - src/_imaging.c (_blend) and src/libImaging/Blend.c: the factor arrives as a double and is cast
//   to float; each byte is (float)in1 + factor · (float)(in2 − in1) in float32, then clipped to
//   0…255 and truncated (inside 0…1 Pillow skips the clip, which cannot change the result there);
//   factor 0 and 1 return copies, which is what the formula gives anyway.

/// Pillow's ITU-R 601-2 luma with 16-bit fixed-point weights (Convert.c, `L24`).
@inline(__always)
func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
    UInt8(truncatingIfNeeded: (UInt32(r) &* 19595 &+ UInt32(g) &* 38470 &+ UInt32(b) &* 7471 &+ 0x8000) >> 16)
}

@inline(__always)
private func lumaRow(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, count: Int, bands: Int) {
    for p in 0..<count {
        let s = p &* bands
        dst[p] = luma(src[s], src[s &+ 1], src[s &+ 2])
    }
}

@inline(__always)
private func colorRow(_ pixels: UnsafeMutablePointer<UInt8>, count: Int, bands: Int, factor: Float) {
    for p in 0..<count {
        let s = p &* bands
        let r = pixels[s], g = pixels[s &+ 1], b = pixels[s &+ 2]
        let grey = luma(r, g, b)
        pixels[s] = blendByte(grey, r, factor)
        pixels[s &+ 1] = blendByte(grey, g, factor)
        pixels[s &+ 2] = blendByte(grey, b, factor)
    }
}

/// One byte of Blend.c: float32 interpolation (or extrapolation), clipped and truncated.
@inline(__always)
func blendByte(_ from: UInt8, _ to: UInt8, _ factor: Float) -> UInt8 {
    clipToByte(Float(from) + factor * Float(Int32(to) &- Int32(from)))
}

extension Image {
    /// `convert("L")`: grey from RGB(A) (alpha dropped); an `L` image is returned as it is.
    func grayscale() -> Image {
        guard mode != .l else { return self }
        let count = width * height
        let out = pixels.withUnsafeBufferPointer { src in
            [UInt8](unsafeUninitializedCapacity: count) { dst, initialized in
                guard let source = src.baseAddress, let target = dst.baseAddress else { return }
                // Literal band counts give each copy of the inlined loop a constant pixel size.
                if bands == 3 {
                    lumaRow(source, target, count: count, bands: 3)
                } else {
                    lumaRow(source, target, count: count, bands: 4)
                }
                initialized = count
            }
        }
        return Image(width: width, height: height, mode: .l, pixels: out)
    }

    /// `int(ImageStat.Stat(image.convert("L")).mean[0] + 0.5)`, the grey Contrast blends from.
    func meanGrey() -> UInt8 {
        let count = width * height
        guard count > 0 else { return 0 }
        let grey = grayscale()
        var sum = 0
        grey.pixels.withUnsafeBufferPointer { src in
            for v in src { sum &+= Int(v) }
        }
        // Python divides two ints into a double, then adds 0.5 and truncates: do the same.
        return UInt8(Double(sum) / Double(count) + 0.5)
    }

    /// Maps every colour band (not alpha) through a 256-entry table.
    private func mappingColourBands(_ table: [UInt8]) -> Image {
        var out = pixels
        let hasAlpha = mode == .rgba
        table.withUnsafeBufferPointer { lut in
            out.withUnsafeMutableBufferPointer { dst in
                if hasAlpha {
                    for i in 0..<dst.count where i & 3 != 3 { dst[i] = lut[Int(dst[i])] }
                } else {
                    for i in 0..<dst.count { dst[i] = lut[Int(dst[i])] }
                }
            }
        }
        return Image(width: width, height: height, mode: mode, pixels: out)
    }

    /// `ImageEnhance.Contrast(image).enhance(factor)`.
    func enhancingContrast(_ factor: Float) -> Image {
        if factor == 1 { return self }
        let mean = meanGrey()
        // The degenerate image is one grey, so each colour byte depends only on its own value.
        let table = (0...255).map { blendByte(mean, UInt8($0), factor) }
        return mappingColourBands(table)
    }

    /// `ImageEnhance.Brightness(image).enhance(factor)`.
    func enhancingBrightness(_ factor: Float) -> Image {
        if factor == 1 { return self }
        let table = (0...255).map { blendByte(0, UInt8($0), factor) }
        return mappingColourBands(table)
    }

    /// `ImageEnhance.Color(image).enhance(factor)`: blends each colour band with the pixel's grey.
    func enhancingColor(_ factor: Float) -> Image {
        // For L the degenerate image is the image itself, and blending it with itself is a no-op.
        if factor == 1 || mode == .l { return self }
        var out = pixels
        let count = width * height
        out.withUnsafeMutableBufferPointer { dst in
            if bands == 3 {
                colorRow(dst.baseAddress!, count: count, bands: 3, factor: factor)
            } else {
                colorRow(dst.baseAddress!, count: count, bands: 4, factor: factor)
            }
        }
        return Image(width: width, height: height, mode: mode, pixels: out)
    }

    /// `ImageEnhance.Sharpness(image).enhance(factor)`: blends with the SMOOTH-filtered image.
    func enhancingSharpness(_ factor: Float) -> Image {
        if factor == 1 { return self }
        var out = convolve(self, SmoothKernel.self).pixels
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                // Pillow puts the original alpha into the smoothed image, so alpha blends with
                // itself; doing the same keeps the blend loop below uniform (and vectorisable).
                if mode == .rgba {
                    for i in Swift.stride(from: 3, to: dst.count, by: 4) { dst[i] = src[i] }
                }
                for i in 0..<dst.count {
                    dst[i] = blendByte(dst[i], src[i], factor)
                }
            }
        }
        return Image(width: width, height: height, mode: mode, pixels: out)
    }
}
