/// An image filter that gives the same bytes as Pillow 12.0.0.
///
/// The kernel filters are Pillow's `ImageFilter` built-ins (`image.filter(ImageFilter.BLUR)` …),
/// `grayscale` is `image.convert("L")`, and the four enhancers are `ImageEnhance`'s
/// (`ImageEnhance.Contrast(image).enhance(factor)` …). Filters parse from short tokens such as
/// `blur`, `edge_enhance` or `contrast=2.0`; ``description`` writes them back in that form.
///
/// The geometric filters change the size: `resize=WxH[:filter]` is `image.resize((W, H), filter)`,
/// `thumbnail=WxH` is `image.thumbnail((W, H))`, `crop=X,Y,W,H` is `image.crop((X, Y, X+W, Y+H))`,
/// `rotate=90|180|270` is `image.rotate(angle, expand=True)` (counter-clockwise, as Pillow turns),
/// `flip` and `mirror` are `ImageOps.flip` and `ImageOps.mirror`, and `orient` is
/// `ImageOps.exif_transpose`. Written files carry no EXIF, so an oriented output is not turned
/// again by a viewer, and an unoriented one loses the tag that would have turned it.
public enum ImageFilter: Sendable, Equatable, Codable, CustomStringConvertible {
    /// `ImageFilter.BLUR`: the 5×5 ring of 16 neighbours, averaged.
    case blur
    /// `ImageFilter.SHARPEN`.
    case sharpen
    /// `ImageFilter.CONTOUR`.
    case contour
    /// `ImageFilter.DETAIL`.
    case detail
    /// `ImageFilter.EDGE_ENHANCE`.
    case edgeEnhance
    /// `ImageFilter.EDGE_ENHANCE_MORE`.
    case edgeEnhanceMore
    /// `ImageFilter.EMBOSS`.
    case emboss
    /// `ImageFilter.FIND_EDGES`.
    case findEdges
    /// `ImageFilter.SMOOTH`.
    case smooth
    /// `ImageFilter.SMOOTH_MORE`.
    case smoothMore
    /// `convert("L")`: RGB and RGBA images become `L` (alpha is dropped); `L` stays as it is.
    case grayscale
    /// `ImageEnhance.Contrast`: 0 gives the mean grey, 1 the image, more stretches away from the mean.
    case contrast(Float)
    /// `ImageEnhance.Brightness`: 0 gives black, 1 the image.
    case brightness(Float)
    /// `ImageEnhance.Color`: 0 gives the greys, 1 the image.
    case color(Float)
    /// `ImageEnhance.Sharpness`: 0 gives the SMOOTH-filtered image, 1 the image, 2 a sharper one.
    case sharpness(Float)
    /// `image.resize((width, height), filter)`; RGBA is resampled premultiplied by alpha.
    case resize(width: Int, height: Int, filter: ResampleFilter)
    /// `image.thumbnail((width, height))`: fits the box keeping the aspect ratio, never enlarges;
    /// first in a pipeline on a JPEG, the file is decoded already scaled down (Pillow's `draft`).
    case thumbnail(width: Int, height: Int)
    /// `image.crop((x, y, x + width, y + height))`.
    case crop(x: Int, y: Int, width: Int, height: Int)
    /// `image.rotate(degrees, expand=True)` for 90, 180 or 270: counter-clockwise quarter turns.
    case rotate(degrees: Int)
    /// `ImageOps.flip`: upside down.
    case flip
    /// `ImageOps.mirror`: left to right.
    case mirror
    /// `ImageOps.exif_transpose`: turns a JPEG as its EXIF Orientation says; see
    /// ``DecodedImage/applying(_:threads:)``. On an image without a file it changes nothing.
    case orient

    /// The factor `contrast` gets when its token has none.
    public static let defaultContrast: Float = 1.5

    /// Every filter name, in the order they are listed to users.
    public static let names = [
        "blur", "sharpen", "contour", "detail", "edge_enhance", "edge_enhance_more", "emboss",
        "find_edges", "smooth", "smooth_more", "grayscale", "contrast", "brightness", "color",
        "sharpness", "resize", "thumbnail", "crop", "rotate", "flip", "mirror", "orient",
    ]

    /// How tokens are written: the names, `contrast[=F]`, and `=F` where a factor is required.
    public static let usage = names.map { name in
        switch name {
        case "contrast": "contrast[=F]"
        case "brightness", "color", "sharpness": "\(name)=F"
        case "resize": "resize=WxH[:\(ResampleFilter.allCases.map(\.rawValue).joined(separator: "|"))]"
        case "thumbnail": "thumbnail=WxH"
        case "crop": "crop=X,Y,W,H"
        case "rotate": "rotate=90|180|270"
        default: name
        }
    }.joined(separator: ", ")

    /// The filter's name without its factor (`contrast`, `edge_enhance`), as used in file names.
    public var name: String {
        switch self {
        case .blur: "blur"
        case .sharpen: "sharpen"
        case .contour: "contour"
        case .detail: "detail"
        case .edgeEnhance: "edge_enhance"
        case .edgeEnhanceMore: "edge_enhance_more"
        case .emboss: "emboss"
        case .findEdges: "find_edges"
        case .smooth: "smooth"
        case .smoothMore: "smooth_more"
        case .grayscale: "grayscale"
        case .contrast: "contrast"
        case .brightness: "brightness"
        case .color: "color"
        case .sharpness: "sharpness"
        case .resize: "resize"
        case .thumbnail: "thumbnail"
        case .crop: "crop"
        case .rotate: "rotate"
        case .flip: "flip"
        case .mirror: "mirror"
        case .orient: "orient"
        }
    }

    /// The enhancement factor, or nil for filters that take none.
    public var factor: Float? {
        switch self {
        case .contrast(let f), .brightness(let f), .color(let f), .sharpness(let f): f
        default: nil
        }
    }

    /// The token that parses back to this filter: `blur`, `contrast=1.5`.
    public var description: String {
        switch self {
        case .resize(let w, let h, let filter):
            filter == .default ? "resize=\(w)x\(h)" : "resize=\(w)x\(h):\(filter.rawValue)"
        case .thumbnail(let w, let h): "thumbnail=\(w)x\(h)"
        case .crop(let x, let y, let w, let h): "crop=\(x),\(y),\(w),\(h)"
        case .rotate(let degrees): "rotate=\(degrees)"
        default: if let factor { "\(name)=\(factor)" } else { name }
        }
    }

    /// Parses one token: a name (`blur`, `edge_enhance`), optionally `=F` for `contrast` (default
    /// 1.5) and necessarily for `brightness`, `color` and `sharpness`. Names ignore case and
    /// surrounding spaces. The factor is read as a double and rounded to float, as Pillow does.
    public static func parse(_ text: String) throws(ImageFilterParseError) -> ImageFilter {
        let token = text.trimmingSpaces()
        guard !token.isEmpty else { throw ImageFilterParseError(token: text, problem: .empty) }
        let parts = token.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts[0].trimmingSpaces().lowercased()
        let value = parts.count > 1 ? parts[1].trimmingSpaces() : nil

        let simple: ImageFilter? = switch name {
        case "blur": .blur
        case "sharpen": .sharpen
        case "contour": .contour
        case "detail": .detail
        case "edge_enhance": .edgeEnhance
        case "edge_enhance_more": .edgeEnhanceMore
        case "emboss": .emboss
        case "find_edges": .findEdges
        case "smooth": .smooth
        case "smooth_more": .smoothMore
        case "grayscale": .grayscale
        case "flip": .flip
        case "mirror": .mirror
        case "orient": .orient
        default: nil
        }
        if let simple {
            guard value == nil else { throw ImageFilterParseError(token: token, problem: .unexpectedFactor) }
            return simple
        }

        if let geometric = try parseGeometry(name: name, value: value, token: token) { return geometric }

        let make: (Float) -> ImageFilter
        switch name {
        case "contrast": make = ImageFilter.contrast
        case "brightness": make = ImageFilter.brightness
        case "color": make = ImageFilter.color
        case "sharpness": make = ImageFilter.sharpness
        default: throw ImageFilterParseError(token: token, problem: .unknownName)
        }
        guard let value else {
            if name == "contrast" { return .contrast(defaultContrast) }
            throw ImageFilterParseError(token: token, problem: .missingFactor)
        }
        // Python's float() then the C cast to float; a direct Float parse could round differently.
        guard let double = Double(value), double.isFinite, Float(double).isFinite else {
            throw ImageFilterParseError(token: token, problem: .badFactor)
        }
        return make(Float(double))
    }

    /// Parses a comma-separated list (`blur,contrast=2,grayscale`), applied later in that order.
    public static func parseList(_ text: String) throws(ImageFilterParseError) -> [ImageFilter] {
        guard !text.trimmingSpaces().isEmpty else {
            throw ImageFilterParseError(token: text, problem: .emptyList)
        }
        var filters: [ImageFilter] = []
        var pieces = text.split(separator: ",", omittingEmptySubsequences: false)[...]
        while var token = pieces.popFirst() {
            // An empty item is reported with the whole list, which shows where it is.
            guard !token.trimmingSpaces().isEmpty else {
                throw ImageFilterParseError(token: text, problem: .empty)
            }
            // A crop box's own commas: its token takes the three pieces after it.
            if token.trimmingSpaces().lowercased().hasPrefix("crop=") {
                for _ in 0..<3 {
                    guard let next = pieces.popFirst() else { break }
                    token = Substring(String(token) + "," + next)
                }
            }
            filters.append(try parse(String(token)))
        }
        return filters
    }

    /// The filtered image. Kernel filters and enhancers keep the mode; `grayscale` gives `L`. A crop
    /// box reaching outside the image is padded with zero bytes here, as Pillow pads it.
    ///
    /// Factors are meant to be finite (``parse(_:)`` rejects others); a NaN or infinite one gives
    /// some image without trapping, where Pillow's result is undefined.
    public func apply(to image: Image) -> Image {
        apply(to: image, threads: 1)
    }

    /// ``apply(to:)`` with the image's rows split into bands on up to `threads` threads (≥ 1).
    func apply(to image: Image, threads: Int) -> Image {
        switch self {
        case .blur, .smoothMore: image.convolved(self, size: 5, threads: threads)
        case .sharpen, .contour, .detail, .edgeEnhance, .edgeEnhanceMore, .emboss, .findEdges, .smooth:
            image.convolved(self, size: 3, threads: threads)
        case .grayscale: image.grayscale(threads: threads)
        case .contrast(let f): image.enhancingContrast(f, threads: threads)
        case .brightness(let f): image.enhancingBrightness(f, threads: threads)
        case .color(let f): image.enhancingColor(f, threads: threads)
        case .sharpness(let f): image.enhancingSharpness(f, threads: threads)
        case .resize(let w, let h, let filter): image.resized(width: w, height: h, filter: filter)
        case .thumbnail(let w, let h): image.thumbnail(width: w, height: h)
        case .crop(let x, let y, let w, let h): image.cropped(x: x, y: y, width: w, height: h)
        case .rotate(let degrees):
            image.transposed(degrees == 90 ? .rotate90 : degrees == 180 ? .rotate180 : .rotate270)
        case .flip: image.transposed(.flipTopBottom)
        case .mirror: image.transposed(.flipLeftRight)
        case .orient: image
        }
    }

    /// Decodes the token form (`"contrast=1.5"`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            self = try ImageFilter.parse(try container.decode(String.self))
        } catch let error as ImageFilterParseError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the token form (`"contrast=1.5"`), which is what people write in job files.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why a filter token did not parse; ``description`` names the token and lists the valid ones.
public struct ImageFilterParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        case emptyList, empty, unknownName, unexpectedFactor, missingFactor, badFactor
        /// A geometric filter's value is not one of its forms (`resize=0x5`, `rotate=45`).
        case badGeometry
    }

    /// The offending token (the whole text for `emptyList`).
    public let token: String
    public let problem: Problem

    public init(token: String, problem: Problem) {
        self.token = token
        self.problem = problem
    }

    public var description: String {
        let what = switch problem {
        case .emptyList: "no filters given"
        case .empty: "empty filter name in \"\(token)\""
        case .unknownName: "unknown filter \"\(token)\""
        case .unexpectedFactor: "filter \"\(token)\" takes no factor"
        case .missingFactor: "filter \"\(token)\" needs a factor, e.g. \"\(token)=1.5\""
        case .badFactor: "bad factor in \"\(token)\": expected a finite number"
        case .badGeometry: "bad value in \"\(token)\": expected \(ImageFilter.geometryForm(of: token))"
        }
        return "\(what); valid filters: \(ImageFilter.usage)"
    }
}

extension Image {
    /// The image after each filter in turn, first to last.
    public func applying(_ filters: [ImageFilter]) -> Image {
        applying(filters, threads: 1)
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (no Foundation in this module).
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }),
              let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
