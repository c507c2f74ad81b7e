import CTrenzaKernels

// Pillow's built-in convolution kernels (ImageFilter.BLUR … SMOOTH_MORE), byte for byte.
//
// What Pillow 12.0.0 does (src/libImaging/Filter.c, ImagingFilter3x3/5x5; src/_imaging.c, _filter;
// src/PIL/ImageFilter.py):
// - every kernel weight is divided by the scale in float32 (`kerneldata[i] /= divisor`);
// - a float32 sum starts at `offset + 0.5` and gets, in this order, one partial sum per kernel row,
//   each partial sum being `((w0·p0 + w1·p1) + w2·p2)…` left to right over the columns;
// - kernel row 0 multiplies the image row *below* the pixel (the kernel is flipped vertically, not
//   horizontally);
// - the sum is clipped (≤ 0 → 0, ≥ 255 → 255) and truncated to a byte;
// - the outermost 1 (3×3) or 2 (5×5) rows and columns are copied, an image smaller than the kernel
//   is returned unchanged, and every band (alpha too) is filtered on its own.
//
// The fast paths replace that float arithmetic with an exact integer sum S = Σ wᵢ·pᵢ (the weights
// before division) and an integer rounding of offset + 0.5 + S / scale: in C (CTrenzaKernels, see
// `CKernel`) for the kernels of scale 1, 2 and 16, below for SMOOTH and SMOOTH_MORE. That is the
// same byte whenever float32 rounding cannot move the sum across an integer:
// - scale 1, 2 or 16 (CONTOUR, EDGE_ENHANCE, EDGE_ENHANCE_MORE, EMBOSS, FIND_EDGES, SHARPEN, BLUR):
//   the divided weights are exact binary fractions and every product and partial sum needs at most
//   15 significant bits, so Pillow's float arithmetic is exact and the integer form is identical.
// - scale 13 (SMOOTH): 0.5 + S/13 is never closer than 1/26 to an integer (13 is odd), while the
//   accumulated float32 error of 9 products and 9 additions of values below 256 stays under 3e-4.
// - scale 100 (SMOOTH_MORE): same argument (distance ≥ 1/100, error under 1e-3), except when
//   S ≡ 50 (mod 100), where 0.5 + S/100 is an integer and float rounding decides; those bytes (about
//   1 in 100) are recomputed with Pillow's exact float sequence.
// - scale 6 (DETAIL) would need that replay for a sixth of all bytes, so DETAIL stays in float32
//   throughout (`filterDetail`).
// FilterTests checks every integer form (each C variant too) against `convolveWithPillowFloats`, a
// plain replay of Pillow's float arithmetic, and FilterParityTests checks all of it against Pillow.

/// A kernel as Pillow's ImageFilter declares it: weights row by row, scale and offset.
struct PillowKernel: Sendable {
    let size: Int
    let weights: [Int]
    let scale: Int
    let offset: Int

    /// The weights as `_filter` hands them to ImagingFilter: float32, divided by the float32 scale.
    var floatWeights: [Float] { weights.map { Float($0) / Float(scale) } }

    /// The starting value of the float sum: ImagingFilter adds 0.5 (a double) to the float offset.
    var floatStart: Float { Float(Double(Float(offset)) + 0.5) }

    static let blur = PillowKernel(size: 5, weights: [
        1, 1, 1, 1, 1,
        1, 0, 0, 0, 1,
        1, 0, 0, 0, 1,
        1, 0, 0, 0, 1,
        1, 1, 1, 1, 1,
    ], scale: 16, offset: 0)
    static let contour = PillowKernel(size: 3, weights: [-1, -1, -1, -1, 8, -1, -1, -1, -1], scale: 1, offset: 255)
    static let detail = PillowKernel(size: 3, weights: [0, -1, 0, -1, 10, -1, 0, -1, 0], scale: 6, offset: 0)
    static let edgeEnhance = PillowKernel(size: 3, weights: [-1, -1, -1, -1, 10, -1, -1, -1, -1], scale: 2, offset: 0)
    static let edgeEnhanceMore = PillowKernel(size: 3, weights: [-1, -1, -1, -1, 9, -1, -1, -1, -1], scale: 1, offset: 0)
    static let emboss = PillowKernel(size: 3, weights: [-1, 0, 0, 0, 1, 0, 0, 0, 0], scale: 1, offset: 128)
    static let findEdges = PillowKernel(size: 3, weights: [-1, -1, -1, -1, 8, -1, -1, -1, -1], scale: 1, offset: 0)
    static let sharpen = PillowKernel(size: 3, weights: [-2, -2, -2, -2, 32, -2, -2, -2, -2], scale: 16, offset: 0)
    static let smooth = PillowKernel(size: 3, weights: [1, 1, 1, 1, 5, 1, 1, 1, 1], scale: 13, offset: 0)
    static let smoothMore = PillowKernel(size: 5, weights: [
        1, 1, 1, 1, 1,
        1, 5, 5, 5, 1,
        1, 5, 44, 5, 1,
        1, 5, 5, 5, 1,
        1, 1, 1, 1, 1,
    ], scale: 100, offset: 0)
}

/// Pointers to the rows around the one being filtered: `m2` two rows above … `p2` two rows below.
/// For 3×3 kernels `m2`/`p2` repeat `m1`/`p1` and are not read.
struct RowWindow {
    let m2: UnsafePointer<UInt8>
    let m1: UnsafePointer<UInt8>
    let c: UnsafePointer<UInt8>
    let p1: UnsafePointer<UInt8>
    let p2: UnsafePointer<UInt8>
}

/// One of Pillow's kernels in integer form (see the proof at the top of the file).
protocol IntegerKernel {
    static var pillow: PillowKernel { get }
    /// S = Σ weight · pixel over the window for the byte at `i`; `b` is the bytes per pixel.
    static func sum(_ w: RowWindow, _ i: Int, _ b: Int) -> Int32
    /// The output byte for S, clamped to 0…255; only asked when `needsFloat(S)` is false.
    static func value(_ s: Int32) -> Int32
    /// Whether float32 rounding decides this S, so Pillow's float sequence must be replayed.
    static func needsFloat(_ s: Int32) -> Bool
    /// Whether `needsFloat` can ever be true.
    static var mayNeedFloat: Bool { get }
}

extension IntegerKernel {
    @inline(__always) static func needsFloat(_ s: Int32) -> Bool { false }
    @inline(__always) static var mayNeedFloat: Bool { false }
}

@inline(__always) private func ring8(_ w: RowWindow, _ i: Int, _ b: Int) -> Int32 {
    let above = Int32(w.m1[i &- b]) &+ Int32(w.m1[i]) &+ Int32(w.m1[i &+ b])
    let below = Int32(w.p1[i &- b]) &+ Int32(w.p1[i]) &+ Int32(w.p1[i &+ b])
    return above &+ below &+ Int32(w.c[i &- b]) &+ Int32(w.c[i &+ b])
}

@inline(__always) private func outerRing16(_ w: RowWindow, _ i: Int, _ b: Int) -> Int32 {
    let b2 = b &+ b
    let top = Int32(w.m2[i &- b2]) &+ Int32(w.m2[i &- b]) &+ Int32(w.m2[i]) &+ Int32(w.m2[i &+ b]) &+ Int32(w.m2[i &+ b2])
    let bottom = Int32(w.p2[i &- b2]) &+ Int32(w.p2[i &- b]) &+ Int32(w.p2[i]) &+ Int32(w.p2[i &+ b]) &+ Int32(w.p2[i &+ b2])
    let left = Int32(w.m1[i &- b2]) &+ Int32(w.c[i &- b2]) &+ Int32(w.p1[i &- b2])
    let right = Int32(w.m1[i &+ b2]) &+ Int32(w.c[i &+ b2]) &+ Int32(w.p1[i &+ b2])
    return top &+ bottom &+ left &+ right
}

struct SmoothKernel: IntegerKernel {
    static var pillow: PillowKernel { .smooth }
    @inline(__always) static func sum(_ w: RowWindow, _ i: Int, _ b: Int) -> Int32 {
        5 &* Int32(w.c[i]) &+ ring8(w, i, b)
    }
    // floor(0.5 + S/13) = floor((2S + 13) / 26), S ≥ 0; at most 255 since S ≤ 13·255.
    @inline(__always) static func value(_ s: Int32) -> Int32 { (2 &* s &+ 13) / 26 }
}

struct SmoothMoreKernel: IntegerKernel {
    static var pillow: PillowKernel { .smoothMore }
    @inline(__always) static func sum(_ w: RowWindow, _ i: Int, _ b: Int) -> Int32 {
        44 &* Int32(w.c[i]) &+ 5 &* ring8(w, i, b) &+ outerRing16(w, i, b)
    }
    // floor(0.5 + S/100), S ≥ 0; at most 255 since S ≤ 100·255.
    @inline(__always) static func value(_ s: Int32) -> Int32 { (s &+ 50) / 100 }
    @inline(__always) static func needsFloat(_ s: Int32) -> Bool { s % 100 == 50 }
    static var mayNeedFloat: Bool { true }
}

/// Pillow's float32 sum for one byte, in ImagingFilter's order; `k` holds `floatWeights`.
@inline(never)
func pillowFloatByte(_ w: RowWindow, _ i: Int, _ b: Int, size: Int, start: Float,
                     _ k: UnsafeBufferPointer<Float>) -> UInt8 {
    var ss = start
    if size == 3 {
        // Kernel rows 0, 1, 2 meet the rows below, at and above the pixel.
        ss += rowSum3(w.p1, i, b, k, 0)
        ss += rowSum3(w.c, i, b, k, 3)
        ss += rowSum3(w.m1, i, b, k, 6)
    } else {
        ss += rowSum5(w.p2, i, b, k, 0)
        ss += rowSum5(w.p1, i, b, k, 5)
        ss += rowSum5(w.c, i, b, k, 10)
        ss += rowSum5(w.m1, i, b, k, 15)
        ss += rowSum5(w.m2, i, b, k, 20)
    }
    return clipToByte(ss)
}

/// One kernel row's partial sum, added left to right as Pillow's KERNEL1x3 macro does.
@inline(__always)
private func rowSum3(_ p: UnsafePointer<UInt8>, _ i: Int, _ b: Int,
                     _ k: UnsafeBufferPointer<Float>, _ r: Int) -> Float {
    var sum = Float(p[i - b]) * k[r]
    sum += Float(p[i]) * k[r + 1]
    sum += Float(p[i + b]) * k[r + 2]
    return sum
}

/// One kernel row's partial sum, added left to right as Pillow's KERNEL1x5 macro does.
@inline(__always)
private func rowSum5(_ p: UnsafePointer<UInt8>, _ i: Int, _ b: Int,
                     _ k: UnsafeBufferPointer<Float>, _ r: Int) -> Float {
    var sum = Float(p[i - 2 * b]) * k[r]
    sum += Float(p[i - b]) * k[r + 1]
    sum += Float(p[i]) * k[r + 2]
    sum += Float(p[i + b]) * k[r + 3]
    sum += Float(p[i + 2 * b]) * k[r + 4]
    return sum
}

/// Pillow's `clip8`: ≤ 0 → 0, ≥ 255 → 255, otherwise truncated (NaN → 0 rather than a trap).
///
/// Branch-free and without Swift's checked float-to-integer conversion, so loops using it can be
/// vectorised: adding 2²³ rounds the clipped value to the nearest integer (exact in float32 below
/// 2²³) and leaves it in the low mantissa bits; one less when that rounded up gives the truncation.
@inline(__always)
func clipToByte(_ v: Float) -> UInt8 {
    let low = v > 0 ? v : 0
    let clipped = low < 255 ? low : 255
    let shifted = clipped + 8_388_608
    let roundedUp: UInt32 = shifted - 8_388_608 > clipped ? 1 : 0
    return UInt8(truncatingIfNeeded: shifted.bitPattern &- roundedUp)
}

/// Calls `body` with the window of rows around every filtered row `y` and that row's output.
@inline(__always)
private func forEachFilteredRow(_ image: Image, radius: Int, into out: inout [UInt8],
                                _ body: (RowWindow, UnsafeMutablePointer<UInt8>) -> Void) {
    let stride = image.stride
    image.pixels.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            guard let base = src.baseAddress, let outBase = dst.baseAddress else { return }
            for y in radius..<(image.height - radius) {
                let c = base + y * stride
                let window = RowWindow(m2: c - radius * stride, m1: c - stride, c: c,
                                       p1: c + stride, p2: c + radius * stride)
                body(window, outBase + y * stride)
            }
        }
    }
}

/// Space one band of rows needs besides its output: a flag per byte of a row for kernels whose
/// bytes floats sometimes decide, that kernel's float weights, and one row of pixels for passes
/// that filter into a buffer before going on (fused grayscale, Sharpness), and two rows of 16-bit
/// column sums for the C kernels.
struct RowScratch {
    let flags: UnsafeMutablePointer<UInt8>
    let weights: UnsafeMutablePointer<Float>
    let row: UnsafeMutablePointer<UInt8>
    let columnSums: UnsafeMutablePointer<UInt16>

    /// Runs `body` with scratch for rows of `stride` bytes; `kernel` fills in the float weights.
    static func with<R>(stride: Int, kernel: PillowKernel?, _ body: (RowScratch) -> R) -> R {
        // The flags are read eight at a time, so they run past the row.
        let flags = UnsafeMutablePointer<UInt8>.allocate(capacity: stride + 8)
        flags.initialize(repeating: 0, count: stride + 8)
        let weights = UnsafeMutablePointer<Float>.allocate(capacity: 25)
        weights.initialize(repeating: 0, count: 25)
        if let kernel {
            for (i, w) in kernel.floatWeights.enumerated() { weights[i] = w }
        }
        let row = UnsafeMutablePointer<UInt8>.allocate(capacity: max(stride, 1))
        let columnSums = UnsafeMutablePointer<UInt16>.allocate(capacity: max(2 * stride, 1))
        defer {
            flags.deallocate()
            weights.deallocate()
            row.deallocate()
            columnSums.deallocate()
        }
        return body(RowScratch(flags: flags, weights: weights, row: row, columnSums: columnSums))
    }
}

/// Filters bytes `first..<end` of one row with `K`'s exact integer form into `row`, replaying
/// Pillow's float sum where it decides.
@inline(__always)
func integerRow<K: IntegerKernel>(_: K.Type, _ window: RowWindow, _ row: UnsafeMutablePointer<UInt8>,
                                  _ first: Int, _ end: Int, _ b: Int, _ scratch: RowScratch) {
    guard K.mayNeedFloat else {
        for i in first..<end {
            row[i] = UInt8(truncatingIfNeeded: K.value(K.sum(window, i, b)))
        }
        return
    }
    // A branch to the float path inside the loop would keep it from being vectorised, so the
    // integer pass flags the bytes floats decide and a second pass redoes just those.
    let flags = scratch.flags
    var any: UInt8 = 0
    for i in first..<end {
        let s = K.sum(window, i, b)
        let flag: UInt8 = K.needsFloat(s) ? 1 : 0
        flags[i] = flag
        any |= flag
        row[i] = UInt8(truncatingIfNeeded: K.value(s))
    }
    guard any != 0 else { return }
    let kernel = K.pillow
    let weights = UnsafeBufferPointer(start: scratch.weights, count: kernel.size * kernel.size)
    let start = kernel.floatStart
    // Eight flags at a time: most words are all clear.
    var i = first
    while i < end {
        if i + 8 <= end, UnsafeRawPointer(flags + i).loadUnaligned(as: UInt64.self) == 0 {
            i += 8
            continue
        }
        if flags[i] != 0 {
            row[i] = pillowFloatByte(window, i, b, size: kernel.size, start: start, weights)
        }
        i += 1
    }
}

/// The code a `CKernel` runs: the best this CPU supports, or a given variant (for tests).
enum KernelVariant: Sendable, CaseIterable {
    /// `avx2` runs the baseline code on a CPU without AVX2.
    case auto, baseline, avx2

    var c: trenza_kernels_variant {
        switch self {
        case .auto: TRENZA_KERNELS_AUTO
        case .baseline: TRENZA_KERNELS_BASELINE
        case .avx2: TRENZA_KERNELS_AVX2
        }
    }
}

/// The kernels of scale 1, 2 and 16, filtered in C (CTrenzaKernels) in their exact integer forms.
///
/// C, because Swift cannot compile one function for AVX2: the C target builds each kernel for the
/// baseline and for AVX2 and picks one at run time, so the package stays baseline x86-64. Each
/// kernel's integer form (spelled out in trenza_kernels.c) is exact by the argument at the top of
/// this file; C only groups its sums into column sums shared between neighbouring bytes.
enum CKernel: Sendable {
    case blur, sharpen, edgeEnhance, edgeEnhanceMore, findEdges, contour, emboss

    init?(_ filter: ImageFilter) {
        switch filter {
        case .blur: self = .blur
        case .sharpen: self = .sharpen
        case .edgeEnhance: self = .edgeEnhance
        case .edgeEnhanceMore: self = .edgeEnhanceMore
        case .findEdges: self = .findEdges
        case .contour: self = .contour
        case .emboss: self = .emboss
        default: return nil
        }
    }

    /// Writes the whole row at the centre of `w` into `row`, its border bytes (copied from the
    /// centre row) included. The image must be at least as wide as the kernel; the kernel uses
    /// `scratch.columnSums`.
    @inline(__always)
    func row(_ w: RowWindow, into row: UnsafeMutablePointer<UInt8>, stride: Int, bands: Int,
             scratch: RowScratch, variant: KernelVariant = .auto) {
        let sums = scratch.columnSums, v = variant.c
        let kernel: trenza_kernel3
        switch self {
        case .blur:
            trenza_blur_row(v, w.m2, w.m1, w.c, w.p1, w.p2, row, stride, bands, sums)
            return
        case .sharpen: kernel = TRENZA_KERNEL3_SHARPEN
        case .edgeEnhance: kernel = TRENZA_KERNEL3_EDGE_ENHANCE
        case .edgeEnhanceMore: kernel = TRENZA_KERNEL3_EDGE_ENHANCE_MORE
        case .findEdges: kernel = TRENZA_KERNEL3_FIND_EDGES
        case .contour: kernel = TRENZA_KERNEL3_CONTOUR
        case .emboss: kernel = TRENZA_KERNEL3_EMBOSS
        }
        trenza_kernel3_row(v, kernel, w.m1, w.c, w.p1, row, stride, bands, sums)
    }
}

/// DETAIL straight in float32, since a sixth of its integer sums (S ≡ 3 mod 6) would need the
/// float replay anyway. Same operations in the same order as Pillow, minus the four zero-weight
/// products: adding +0 changes no sum except the sign of a zero, and a zero sum clips to 0 either way.
@inline(__always)
func detailRow(_ w: RowWindow, _ row: UnsafeMutablePointer<UInt8>, _ first: Int, _ end: Int, _ b: Int) {
    let kernel = PillowKernel.detail
    let edge = Float(-1) / Float(kernel.scale), centre = Float(10) / Float(kernel.scale)
    let start = kernel.floatStart
    for i in first..<end {
        var ss = start
        ss += Float(w.p1[i]) * edge
        var middle = Float(w.c[i &- b]) * edge
        middle += Float(w.c[i]) * centre
        middle += Float(w.c[i &+ b]) * edge
        ss += middle
        ss += Float(w.m1[i]) * edge
        row[i] = clipToByte(ss)
    }
}

/// The kernel computed Pillow's way for every byte (float32 throughout): slow, the reference the
/// integer forms are tested against.
func convolveWithPillowFloats(_ image: Image, _ kernel: PillowKernel) -> Image {
    let radius = kernel.size / 2
    guard image.width >= kernel.size, image.height >= kernel.size else { return image }
    let b = image.bands
    let first = radius * b, end = image.stride - radius * b
    var out = image.pixels
    let weights = kernel.floatWeights
    let start = kernel.floatStart
    weights.withUnsafeBufferPointer { k in
        forEachFilteredRow(image, radius: radius, into: &out) { window, row in
            for i in first..<end {
                row[i] = pillowFloatByte(window, i, b, size: kernel.size, start: start, k)
            }
        }
    }
    return Image(width: image.width, height: image.height, mode: image.mode, pixels: out)
}
