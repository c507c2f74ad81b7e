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

import CTrenzaKernels

/// Pillow's ITU-R 601-2 luma with 16-bit fixed-point weights (Convert.c, `L24`).
@inline(__always)
func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
    UInt8(truncatingIfNeeded: (UInt32(r) &* 19595 &+ UInt32(g) &* 38470 &+ UInt32(b) &* 7471 &+ 0x8000) >> 16)
}

/// Greys for `count` pixels of `bands` (3 or 4) bytes each, by `luma`'s formula, in C
/// (trenza_kernels.c), where a build for AVX2 can be chosen at run time.
@inline(__always)
func lumaRow(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, count: Int, bands: Int,
             variant: KernelVariant = .auto) {
    trenza_luma_row(variant.c, src, dst, count, bands)
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

/// The sum of `count` bytes, in C (trenza_kernels.c) like `lumaRow`.
@inline(__always)
func byteSum(_ bytes: UnsafePointer<UInt8>, count: Int, variant: KernelVariant = .auto) -> Int {
    Int(trenza_byte_sum(variant.c, bytes, count))
}

/// `count` bytes mapped through the 256-entry `table`, in C like `lumaRow`; with `bands` 4 every
/// fourth byte from the start is alpha and copied as it is.
@inline(__always)
func lutRow(_ table: UnsafePointer<UInt8>, _ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>,
            count: Int, bands: Int, variant: KernelVariant = .auto) {
    trenza_lut_row(variant.c, table, src, dst, count, bands)
}

/// One byte of Blend.c: float32 interpolation (or extrapolation), clipped and truncated.
@inline(__always)
func blendByte(_ from: UInt8, _ to: UInt8, _ factor: Float) -> UInt8 {
    clipToByte(Float(from) + factor * Float(Int32(to) &- Int32(from)))
}

extension Image {
    /// `convert("L")`: grey from RGB(A) (alpha dropped); an `L` image is returned as it is.
    func grayscale(threads: Int = 1) -> Image {
        guard mode != .l else { return self }
        let out = pixels.withUnsafeBufferPointer { src in
            makePixels(count: width * height) { dst in
                guard let source = src.baseAddress else { return }
                forEachBand(of: 0..<height, threads: threads) { _, rows in
                    let count = rows.count * width
                    let from = source + rows.lowerBound * stride, to = dst + rows.lowerBound * width
                    // Literal band counts give each copy of the inlined loop a constant pixel size.
                    if bands == 3 {
                        lumaRow(from, to, count: count, bands: 3)
                    } else {
                        lumaRow(from, to, count: count, bands: 4)
                    }
                }
            }
        }
        return Image(width: width, height: height, mode: .l, pixels: out)
    }

    /// `int(ImageStat.Stat(image.convert("L")).mean[0] + 0.5)`, the grey Contrast blends from.
    func meanGrey(threads: Int = 1) -> UInt8 {
        let count = width * height
        guard count > 0 else { return 0 }
        // Python divides two ints into a double, then adds 0.5 and truncates: do the same.
        return UInt8(Double(greySum(threads: threads)) / Double(count) + 0.5)
    }

    /// The sum of `convert("L")`'s bytes.
    ///
    /// The greys are summed a row at a time as they are made, without a grey frame; integer
    /// partial sums per band add up to the same total in any order.
    func greySum(threads: Int = 1) -> Int {
        var sums = [Int](repeating: 0, count: bandCount(rows: height, threads: threads))
        pixels.withUnsafeBufferPointer { src in
            sums.withUnsafeMutableBufferPointer { sums in
                guard let source = src.baseAddress, let sums = sums.baseAddress else { return }
                forEachBand(of: 0..<height, threads: threads) { band, rows in
                    var sum = 0
                    if mode == .l {
                        sum = byteSum(source + rows.lowerBound * width, count: rows.count * width)
                    } else {
                        RowScratch.with(stride: width, kernel: nil) { scratch in
                            for y in rows {
                                lumaRow(source + y * stride, scratch.row, count: width, bands: bands)
                                sum &+= byteSum(scratch.row, count: width)
                            }
                        }
                    }
                    sums[band] = sum
                }
            }
        }
        return sums.reduce(0, &+)
    }

    /// A new image of the same size and mode whose rows `transform` writes from the source rows:
    /// it gets the first source byte, the first output byte and the byte count of a band of rows.
    private func mappingRows(threads: Int,
                             _ transform: (UnsafePointer<UInt8>, UnsafeMutablePointer<UInt8>, Int) -> Void) -> Image {
        let out = pixels.withUnsafeBufferPointer { src in
            makePixels(count: pixels.count) { dst in
                guard let source = src.baseAddress else { return }
                forEachBand(of: 0..<height, threads: threads) { _, rows in
                    let offset = rows.lowerBound * stride
                    transform(source + offset, dst + offset, rows.count * stride)
                }
            }
        }
        return Image(width: width, height: height, mode: mode, pixels: out)
    }

    /// Maps every colour band (not alpha) through a 256-entry table, into a new frame.
    private func mappingColourBands(_ table: [UInt8], threads: Int) -> Image {
        let hasAlpha = mode == .rgba
        return table.withUnsafeBufferPointer { lut in
            mappingRows(threads: threads) { src, dst, count in
                guard let table = lut.baseAddress else { return }
                lutRow(table, src, dst, count: count, bands: hasAlpha ? 4 : 1)
            }
        }
    }

    /// `ImageEnhance.Contrast(image).enhance(factor)`.
    func enhancingContrast(_ factor: Float, threads: Int = 1) -> Image {
        if factor == 1 { return self }
        let mean = meanGrey(threads: threads)
        // The degenerate image is one grey, so each colour byte depends only on its own value.
        let table = (0...255).map { blendByte(mean, UInt8($0), factor) }
        return mappingColourBands(table, threads: threads)
    }

    /// `ImageEnhance.Brightness(image).enhance(factor)`.
    func enhancingBrightness(_ factor: Float, threads: Int = 1) -> Image {
        if factor == 1 { return self }
        let table = (0...255).map { blendByte(0, UInt8($0), factor) }
        return mappingColourBands(table, threads: threads)
    }

    /// `ImageEnhance.Color(image).enhance(factor)`: blends each colour band with the pixel's grey.
    func enhancingColor(_ factor: Float, threads: Int = 1) -> Image {
        // For L the degenerate image is the image itself, and blending it with itself is a no-op.
        if factor == 1 || mode == .l { return self }
        let bands = bands
        return mappingRows(threads: threads) { src, dst, count in
            dst.update(from: src, count: count)
            if bands == 3 {
                colorRow(dst, count: count / 3, bands: 3, factor: factor)
            } else {
                colorRow(dst, count: count / 4, bands: 4, factor: factor)
            }
        }
    }

    /// `ImageEnhance.Sharpness(image).enhance(factor)`: blends with the SMOOTH-filtered image.
    func enhancingSharpness(_ factor: Float, threads: Int = 1) -> Image {
        if factor == 1 { return self }
        let hasAlpha = mode == .rgba
        let out = pixels.withUnsafeBufferPointer { src in
            makePixels(count: pixels.count) { dst in
                guard let source = src.baseAddress else { return }
                let geometry = KernelGeometry(.smooth, size: 3, source: source, image: self)
                forEachBand(of: 0..<height, threads: threads) { _, rows in
                    RowScratch.with(stride: stride, kernel: nil) { scratch in
                        let smoothed = scratch.row
                        for y in rows {
                            // Unfiltered rows (and all of an image smaller than the kernel) are
                            // the image itself, blended with itself as Pillow does.
                            geometry.produceRow(y, into: smoothed, scratch: scratch)
                            let original = source + y * stride, row = dst + y * stride
                            // Pillow puts the original alpha into the smoothed image, so alpha
                            // blends with itself; doing the same keeps the blend loop uniform.
                            if hasAlpha {
                                for i in Swift.stride(from: 3, to: stride, by: 4) { smoothed[i] = original[i] }
                            }
                            for i in 0..<stride {
                                row[i] = blendByte(smoothed[i], original[i], factor)
                            }
                        }
                    }
                }
            }
        }
        return Image(width: width, height: height, mode: mode, pixels: out)
    }
}
