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

/// `luma` for sixteen pixels at once, each held in the low three bytes of a 32-bit lane.
///
/// The same integer formula in 32-bit lanes, so exact; with the operands masked to 8 bits the
/// compiler turns the products into SSE2's 16-bit multiplies (pmaddwd, pmullw/pmulhuw).
@inline(__always)
func lumaLanes(_ pixels: SIMD16<UInt32>) -> SIMD16<UInt8> {
    let byte = SIMD16<UInt32>(repeating: 0xFF)
    let r: SIMD16<UInt32> = (pixels & byte) &* 19595
    let g: SIMD16<UInt32> = ((pixels &>> 8) & byte) &* 38470
    let b: SIMD16<UInt32> = ((pixels &>> 16) & byte) &* 7471
    let grey = (r &+ g &+ b &+ 0x8000) &>> 16
    // Lane by lane rather than SIMD16's generic narrowing initialiser, which the optimiser
    // sometimes leaves as a call; this form always becomes a few packs.
    var bytes = SIMD16<UInt8>()
    for k in 0..<16 { bytes[k] = UInt8(truncatingIfNeeded: grey[k]) }
    return bytes
}

/// Greys for `count` pixels of `bands` (3 or 4) bytes each, sixteen at a time.
///
/// Baseline x86-64 has no byte shuffle (pshufb is SSSE3), so RGB is not deinterleaved: each pixel
/// is read as an unaligned 32-bit word at its own offset, which puts R, G and B in fixed byte
/// positions of a lane. That word also holds the next pixel's first byte, so an RGB block is only
/// taken while one more pixel follows it; the rest goes through the scalar formula.
@inline(__always)
func lumaRow(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, count: Int, bands: Int) {
    let raw = UnsafeRawPointer(src)
    let out = UnsafeMutableRawPointer(dst)
    var p = 0
    if bands == 4 {
        while p &+ 16 <= count {
            let words = raw.loadUnaligned(fromByteOffset: p &* 4, as: SIMD16<UInt32>.self)
            out.storeBytes(of: lumaLanes(words), toByteOffset: p, as: SIMD16<UInt8>.self)
            p &+= 16
        }
    } else {
        while p &+ 17 <= count {
            let block = raw + p &* 3
            var words = SIMD16<UInt32>()
            for k in 0..<16 { words[k] = block.loadUnaligned(fromByteOffset: k &* 3, as: UInt32.self) }
            out.storeBytes(of: lumaLanes(words), toByteOffset: p, as: SIMD16<UInt8>.self)
            p &+= 16
        }
    }
    while p < count {
        let s = p &* bands
        dst[p] = luma(src[s], src[s &+ 1], src[s &+ 2])
        p &+= 1
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

/// The sum of `count` bytes.
///
/// Summed in 32-bit chunks, which cannot overflow (2¹⁶ · 255 < 2³²), so the loop adds bytes in
/// wide vector lanes rather than widening every byte to 64 bits.
@inline(__always)
func byteSum(_ bytes: UnsafePointer<UInt8>, count: Int) -> Int {
    var total = 0
    var start = 0
    while start < count {
        let end = min(start &+ 65_536, count)
        var chunk: UInt32 = 0
        for i in start..<end { chunk &+= UInt32(bytes[i]) }
        total &+= Int(chunk)
        start = end
    }
    return total
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
                if hasAlpha {
                    // Bands start on row boundaries, so every fourth byte from the start is alpha.
                    for i in Swift.stride(from: 0, to: count, by: 4) {
                        dst[i] = lut[Int(src[i])]
                        dst[i &+ 1] = lut[Int(src[i &+ 1])]
                        dst[i &+ 2] = lut[Int(src[i &+ 2])]
                        dst[i &+ 3] = src[i &+ 3]
                    }
                } else {
                    for i in 0..<count { dst[i] = lut[Int(src[i])] }
                }
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
