// The token forms of the geometric filters: resize=WxH[:filter], thumbnail=WxH, crop=X,Y,W,H and
// rotate=90|180|270.

extension ImageFilter {
    /// The largest side or offset a token may give: far beyond any image Trenza decodes, small
    /// enough that no size arithmetic downstream (C ints included) can overflow.
    static let largestDimension = 1 << 20

    /// The geometric filter `name` with `value`, nil when `name` is not one of them.
    static func parseGeometry(name: String, value: String?, token: String) throws(ImageFilterParseError) -> ImageFilter? {
        let bad = ImageFilterParseError(token: token, problem: .badGeometry)
        switch name {
        case "resize":
            guard let value else { throw bad }
            let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let (w, h) = size(parts[0]) else { throw bad }
            var filter = ResampleFilter.default
            if parts.count > 1 {
                guard let named = ResampleFilter(rawValue: parts[1].lowercased()) else { throw bad }
                filter = named
            }
            return .resize(width: w, height: h, filter: filter)
        case "thumbnail":
            guard let value, let (w, h) = size(Substring(value)) else { throw bad }
            return .thumbnail(width: w, height: h)
        case "crop":
            guard let value else { throw bad }
            let numbers = value.split(separator: ",", omittingEmptySubsequences: false).map { number($0) }
            guard numbers.count == 4, let x = numbers[0], let y = numbers[1], let w = numbers[2], let h = numbers[3],
                  w >= 1, h >= 1 else { throw bad }
            return .crop(x: x, y: y, width: w, height: h)
        case "rotate":
            guard let value, let degrees = Int(value), [90, 180, 270].contains(degrees) else { throw bad }
            return .rotate(degrees: degrees)
        default:
            return nil
        }
    }

    /// The valid form of the geometric filter a token names, for messages.
    static func geometryForm(of token: String) -> String {
        let name = token.split(separator: "=", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        switch name {
        case "resize":
            let filters = ResampleFilter.allCases.map(\.rawValue).joined(separator: "|")
            return "resize=WxH[:\(filters)] with W and H from 1 to \(largestDimension)"
        case "thumbnail": return "thumbnail=WxH with W and H from 1 to \(largestDimension)"
        case "crop": return "crop=X,Y,W,H with X, Y ≥ 0 and W, H ≥ 1"
        default: return "rotate=90, rotate=180 or rotate=270"
        }
    }

    /// `WxH` with both sides positive.
    private static func size(_ text: Substring) -> (Int, Int)? {
        let sides = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard sides.count == 2, let w = number(sides[0]), let h = number(sides[1]), w >= 1, h >= 1 else { return nil }
        return (w, h)
    }

    /// A decimal number from 0 to `largestDimension`, digits only (no sign).
    private static func number(_ text: Substring) -> Int? {
        let digits = text.filter { $0 != " " }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
              let n = Int(digits), n <= largestDimension else { return nil }
        return n
    }
}
