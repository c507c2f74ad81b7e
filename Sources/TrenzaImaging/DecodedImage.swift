/// A decoded file: its pixels plus what the filters need to know about the file itself.
public struct DecodedImage: Sendable, Equatable {
    /// The pixels, at the file's size or, after a JPEG draft, at the scaled one.
    public var image: Image
    /// What the file was.
    public var format: ImageFormat
    /// The JPEG's EXIF Orientation, 1…8 (1 when it has none, and for PNG), which `orient` applies.
    public var orientation: Int
    /// The size stored in the file; the image is smaller when libjpeg scaled it for a thumbnail.
    public var fileWidth: Int
    /// The height stored in the file.
    public var fileHeight: Int
    /// 1, or the 2, 4 or 8 libjpeg divided the size by (Pillow's `draft`).
    public var draftScale: Int

    /// A decoded image; the file's size defaults to the image's (no draft scaling).
    public init(image: Image, format: ImageFormat, orientation: Int = 1, fileWidth: Int? = nil,
                fileHeight: Int? = nil, draftScale: Int = 1) {
        self.image = image
        self.format = format
        self.orientation = orientation
        self.fileWidth = fileWidth ?? image.width
        self.fileHeight = fileHeight ?? image.height
        self.draftScale = draftScale
    }

    /// The image after each filter in turn, as ``Image/applying(_:threads:)`` but knowing the
    /// file: `orient` applies its EXIF orientation (once: Pillow's `exif_transpose` removes the
    /// tag), and a first `thumbnail` takes a JPEG's draft scaling into account.
    ///
    /// Unlike Pillow, which pads with black, a crop box reaching outside the image is an error.
    public func applying(_ filters: [ImageFilter], threads: Int = 1) throws(ImageGeometryError) -> Image {
        try applying(filters, threads: threads, between: { () throws(ImageGeometryError) in }, refusing: { $0 })
    }

    /// ``applying(_:threads:)``, calling `between` after each pass (a deadline checked there stops
    /// a long pipeline between two filters) and throwing what `refusing` makes of a bad crop.
    func applying<Stop: Error>(_ filters: [ImageFilter], threads: Int, between: () throws(Stop) -> Void,
                               refusing: (ImageGeometryError) -> Stop) throws(Stop) -> Image {
        var image = self.image
        var orientation = self.orientation
        var pending: [ImageFilter] = []
        // Runs of pixel filters go through Image.applying together, which fuses some of them.
        func flush() throws(Stop) {
            if !pending.isEmpty { image = try image.applying(pending, threads: threads, between: between) }
            pending.removeAll()
        }
        for (index, filter) in filters.enumerated() {
            switch filter {
            case .orient:
                try flush()
                if let method = Transposition(exifOrientation: orientation) { image = image.transposed(method) }
                orientation = 1
                try between()
            case .thumbnail(let width, let height) where index == 0 && draftScale > 1:
                let draft = DraftScaling(fileWidth: fileWidth, fileHeight: fileHeight, scale: draftScale)
                image = image.thumbnail(width: width, height: height, draft: draft)
                try between()
            case .crop(let x, let y, let width, let height):
                try flush()
                guard x >= 0, y >= 0, x + width <= image.width, y + height <= image.height else {
                    throw refusing(ImageGeometryError(filter: filter, width: image.width, height: image.height))
                }
                pending.append(filter)
            default:
                pending.append(filter)
            }
        }
        try flush()
        return image
    }
}

/// A crop box that does not lie within the image it is applied to.
public struct ImageGeometryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The crop, as written.
    public var filter: ImageFilter
    /// The width of the image when the crop came to it.
    public var width: Int
    /// The height of the image when the crop came to it.
    public var height: Int

    public var description: String {
        guard case .crop(let x, let y, let w, let h) = filter else { return "\(filter) does not fit the image" }
        return "crop box \(filter) (x \(x)…\(x + w), y \(y)…\(y + h)) reaches outside the \(width)×\(height) image"
    }
}
