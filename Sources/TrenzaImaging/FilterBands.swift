// Running a filter pass row by row, optionally with the rows split into bands on several threads.
//
// Every pass here computes an output row from input rows only (a kernel reads the rows around it,
// the others just the one), never from output rows, so cutting the output into bands of rows and
// computing them concurrently gives exactly the bytes of one pass over the whole image. A pass
// that needs a statistic of the whole image (Contrast's mean grey) computes it first.

import Dispatch

/// Splits `rows` into at most `threads` contiguous bands of nearly equal height and calls `body`
/// with each band's index and rows: on this thread when there is one band, concurrently otherwise.
func forEachBand(of rows: Range<Int>, threads: Int, _ body: (_ band: Int, _ rows: Range<Int>) -> Void) {
    let count = bandCount(rows: rows.count, threads: threads)
    guard count > 1 else {
        body(0, rows)
        return
    }
    // concurrentPerform wants a Sendable closure, but `body` holds raw pointers into the frames.
    // That is safe here: it returns only once every band is done, so `body` outlives no call,
    // and the bands write disjoint rows of the output while only reading the shared input.
    withoutActuallyEscaping(body) { body in
        let shared = BandBody(run: body)
        DispatchQueue.concurrentPerform(iterations: count) { band in
            let lower = rows.lowerBound + rows.count * band / count
            let upper = rows.lowerBound + rows.count * (band + 1) / count
            shared.run(band, lower..<upper)
        }
    }
}

/// A band's work, handed to other threads (see `forEachBand` for why that is sound).
private struct BandBody: @unchecked Sendable {
    let run: (Int, Range<Int>) -> Void
}

/// How many bands `forEachBand` makes: one per thread, but never an empty one.
func bandCount(rows: Int, threads: Int) -> Int {
    max(1, min(threads, rows))
}

/// A new array of `count` bytes, every one written by `fill` (which is given its start).
func makePixels(count: Int, _ fill: (UnsafeMutablePointer<UInt8>) -> Void) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        if let base = buffer.baseAddress { fill(base) }
        initialized = count
    }
}

extension ImageFilter {
    /// The side of the kernel for Pillow's kernel filters, nil for the others.
    var kernelSize: Int? {
        switch self {
        case .blur, .smoothMore: 5
        case .sharpen, .contour, .detail, .edgeEnhance, .edgeEnhanceMore, .emboss, .findEdges, .smooth: 3
        default: nil
        }
    }

    /// The kernel as Pillow declares it, for the float weights of the replayed bytes.
    var pillowKernel: PillowKernel? {
        switch self {
        case .blur: .blur
        case .sharpen: .sharpen
        case .contour: .contour
        case .detail: .detail
        case .edgeEnhance: .edgeEnhance
        case .edgeEnhanceMore: .edgeEnhanceMore
        case .emboss: .emboss
        case .findEdges: .findEdges
        case .smooth: .smooth
        case .smoothMore: .smoothMore
        default: nil
        }
    }

    /// Filters bytes `first..<end` of the row at the centre of `window` into `row`; `self` must
    /// be a kernel filter Swift computes (DETAIL, SMOOTH, SMOOTH_MORE; the others are `CKernel`s).
    /// One switch per row, so each loop is specialised for its kernel.
    func filterRow(_ window: RowWindow, into row: UnsafeMutablePointer<UInt8>,
                   first: Int, end: Int, bands b: Int, scratch: RowScratch) {
        switch self {
        case .detail: detailRow(window, row, first, end, b)
        case .smooth: integerRow(SmoothKernel.self, window, row, first, end, b, scratch)
        case .smoothMore: integerRow(SmoothMoreKernel.self, window, row, first, end, b, scratch)
        default: preconditionFailure("\(self) is not a kernel filter computed in Swift")
        }
    }
}

/// One kernel filter over a source frame: which rows and bytes it filters, and their windows.
struct KernelGeometry {
    let filter: ImageFilter
    let source: UnsafePointer<UInt8>
    let height: Int
    let stride: Int
    let bands: Int
    let radius: Int
    /// False when the image is smaller than the kernel, which Pillow returns unchanged.
    let filters: Bool
    /// The filter's C kernel, nil when Swift filters it.
    let cKernel: CKernel?

    init(_ filter: ImageFilter, size: Int, source: UnsafePointer<UInt8>, image: Image) {
        self.filter = filter
        self.source = source
        height = image.height
        stride = image.stride
        bands = image.bands
        radius = size / 2
        filters = image.width >= size && image.height >= size
        cKernel = CKernel(filter)
    }

    /// Whether row `y` is filtered; the others (and the border columns) are copied as they are.
    @inline(__always) func isFiltered(_ y: Int) -> Bool {
        filters && y >= radius && y < height - radius
    }

    /// Writes row `y`, filtered or copied, into `row`.
    @inline(__always) func produceRow(_ y: Int, into row: UnsafeMutablePointer<UInt8>, scratch: RowScratch) {
        let c = source + y * stride
        guard isFiltered(y) else {
            row.update(from: c, count: stride)
            return
        }
        let window = RowWindow(m2: c - radius * stride, m1: c - stride, c: c,
                               p1: c + stride, p2: c + radius * stride)
        if let cKernel {
            // The C kernels write the border bytes themselves.
            cKernel.row(window, into: row, stride: stride, bands: bands, scratch: scratch)
            return
        }
        // The whole row, border columns included; copying it all measured faster than copying
        // just the borders, as it also brings the centre row into the cache for the kernel.
        row.update(from: c, count: stride)
        filter.filterRow(window, into: row, first: radius * bands, end: stride - radius * bands,
                         bands: bands, scratch: scratch)
    }
}

extension Image {
    /// A kernel filter (`size` × `size`), its rows in bands on `threads` threads.
    func convolved(_ filter: ImageFilter, size: Int, threads: Int) -> Image {
        guard width >= size, height >= size else { return self }
        let out = pixels.withUnsafeBufferPointer { src in
            makePixels(count: pixels.count) { dst in
                guard let source = src.baseAddress else { return }
                let geometry = KernelGeometry(filter, size: size, source: source, image: self)
                forEachBand(of: 0..<height, threads: threads) { _, rows in
                    RowScratch.with(stride: stride, kernel: filter.pillowKernel) { scratch in
                        for y in rows { geometry.produceRow(y, into: dst + y * stride, scratch: scratch) }
                    }
                }
            }
        }
        return Image(width: width, height: height, mode: mode, pixels: out)
    }

    /// A kernel filter then `convert("L")` in one pass: each filtered row goes through a row buffer
    /// into its greys, so the filtered colour frame is never written out and read back.
    func convolvedToGrey(_ filter: ImageFilter, size: Int, threads: Int) -> Image {
        guard mode != .l else { return convolved(filter, size: size, threads: threads) }
        let out = pixels.withUnsafeBufferPointer { src in
            makePixels(count: width * height) { dst in
                guard let source = src.baseAddress else { return }
                let geometry = KernelGeometry(filter, size: size, source: source, image: self)
                forEachBand(of: 0..<height, threads: threads) { _, rows in
                    RowScratch.with(stride: stride, kernel: filter.pillowKernel) { scratch in
                        for y in rows {
                            let grey = dst + y * width
                            if geometry.isFiltered(y) {
                                geometry.produceRow(y, into: scratch.row, scratch: scratch)
                                lumaRow(scratch.row, grey, count: width, bands: bands)
                            } else {
                                lumaRow(source + y * stride, grey, count: width, bands: bands)
                            }
                        }
                    }
                }
            }
        }
        return Image(width: width, height: height, mode: .l, pixels: out)
    }

    /// Each filter in turn, each pass's rows split into bands computed on up to `threads` threads.
    ///
    /// The result is the same image as ``applying(_:)`` gives, byte for byte, whatever `threads`
    /// is; it only changes how fast a large image comes out. With `threads` 1 (or less) everything
    /// runs on the calling thread. A kernel filter followed by `grayscale` is done in one pass.
    public func applying(_ filters: [ImageFilter], threads: Int) -> Image {
        applying(filters, threads: threads, between: {})
    }

    /// ``applying(_:threads:)``, calling `between` after each pass: a deadline checked there
    /// stops a long pipeline between two filters.
    func applying<Stop: Error>(_ filters: [ImageFilter], threads: Int, between: () throws(Stop) -> Void) throws(Stop) -> Image {
        let threads = max(1, threads)
        var image = self
        var i = filters.startIndex
        while i < filters.endIndex {
            let filter = filters[i]
            if let size = filter.kernelSize, i + 1 < filters.endIndex, filters[i + 1] == .grayscale {
                image = image.convolvedToGrey(filter, size: size, threads: threads)
                i += 2
            } else {
                image = filter.apply(to: image, threads: threads)
                i += 1
            }
            try between()
        }
        return image
    }
}
