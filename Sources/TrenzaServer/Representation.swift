import Foundation
import HTTPTypes
import Hummingbird

/// A byte sequence the server can send whole or in part: its length, its validators and a way
/// to produce any slice of it. One place answers conditional and range requests for all of them
/// (sample images, `/bytes`, `--files`), so the rules of RFC 9110 live once.
struct Representation: Sendable {
    var length: Int
    var contentType: String
    /// A strong validator, quotes included.
    var etag: String
    var lastModified: Date?
    /// The bytes at `range`, which is never empty and always inside `0 ..< length`.
    var body: @Sendable (Range<Int>) async throws -> ResponseBody

    /// The response to `request`: 304 when `If-None-Match` names this ETag, 206 with
    /// `Content-Range` for one satisfiable range (unless `If-Range` names another version),
    /// 416 for an unsatisfiable one, 200 with everything otherwise.
    func response(to request: Request) async throws -> Response {
        var headers: HTTPFields = [
            .contentType: contentType,
            .eTag: etag,
            .acceptRanges: "bytes",
        ]
        if let lastModified { headers[.lastModified] = HTTPDate.format(lastModified) }

        if let candidates = request.headers[.ifNoneMatch], Self.matches(etag: etag, anyOf: candidates) {
            return Response(status: .notModified, headers: headers)
        }
        let requested = request.headers[.range].flatMap(ByteRangeRequest.init(header:))
        guard let requested, rangeStillApplies(request.headers[.ifRange]) else {
            headers[.contentLength] = String(length)
            return Response(status: .ok, headers: headers, body: length == 0 ? ResponseBody() : try await body(0..<length))
        }
        guard let range = requested.resolve(length: length) else {
            headers[.contentRange] = "bytes */\(length)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
        headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(length)"
        headers[.contentLength] = String(range.count)
        return Response(status: .partialContent, headers: headers, body: try await body(range))
    }

    /// `If-Range` lets a client say "only the part, if it is still the version I have": a range
    /// applies when the header is absent or names this ETag (strongly) or this exact date.
    private func rangeStillApplies(_ ifRange: String?) -> Bool {
        guard let ifRange = ifRange?.trimmingCharacters(in: .whitespaces) else { return true }
        if ifRange.hasPrefix("\"") || ifRange.hasPrefix("W/") { return ifRange == etag }
        guard let lastModified, let date = HTTPDate.parse(ifRange) else { return false }
        return Int(date.timeIntervalSince1970) == Int(lastModified.timeIntervalSince1970)
    }

    /// Weak comparison, as `If-None-Match` asks for: `W/"x"` matches `"x"`; `*` matches anything.
    static func matches(etag: String, anyOf list: String) -> Bool {
        let bare = { (tag: Substring) in tag.hasPrefix("W/") ? tag.dropFirst(2) : tag }
        return list.split(separator: ",").contains { candidate in
            let candidate = candidate.trimmingCharacters(in: .whitespaces)
            return candidate == "*" || bare(Substring(candidate)) == bare(Substring(etag))
        }
    }
}

/// One range of a `Range: bytes=…` header, before the length is known.
///
/// Several ranges in one header are not served as `multipart/byteranges`: the header is ignored
/// and the whole body sent, which RFC 9110 allows and every downloader handles.
enum ByteRangeRequest: Equatable {
    /// `first-last` or `first-` (`last` nil).
    case from(first: Int, last: Int?)
    /// `-n`: the last n bytes.
    case suffix(Int)

    /// `nil` when the header is not one well-formed byte range.
    init?(header: String) {
        let header = header.trimmingCharacters(in: .whitespaces)
        guard header.lowercased().hasPrefix("bytes=") else { return nil }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let firstText = spec[..<dash], lastText = spec[spec.index(after: dash)...]
        let digits = { (text: Substring) in !text.isEmpty && text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber) }
        if firstText.isEmpty {
            guard digits(lastText), let count = Int(lastText) else { return nil }
            self = .suffix(count)
        } else {
            guard digits(firstText), let first = Int(firstText) else { return nil }
            if lastText.isEmpty {
                self = .from(first: first, last: nil)
            } else {
                guard digits(lastText), let last = Int(lastText), last >= first else { return nil }
                self = .from(first: first, last: last)
            }
        }
    }

    /// The bytes this range selects of a body of `length` bytes; `nil` when it selects none
    /// (which is answered with 416).
    func resolve(length: Int) -> Range<Int>? {
        switch self {
        case .from(let first, let last):
            guard first < length else { return nil }
            return first..<(min(last ?? Int.max - 1, length - 1) + 1)
        case .suffix(let count):
            guard count > 0, length > 0 else { return nil }
            return max(0, length - count)..<length
        }
    }
}

/// The IMF-fixdate of HTTP (`Sun, 06 Nov 1994 08:49:37 GMT`).
enum HTTPDate {
    static func format(_ date: Date) -> String {
        date.formatted(style)
    }

    static func parse(_ text: String) -> Date? {
        try? style.parseStrategy.parse(text)
    }

    private static var style: Date.VerbatimFormatStyle {
        Date.VerbatimFormatStyle(
            format: "\(weekday: .abbreviated), \(day: .twoDigits) \(month: .abbreviated) \(year: .defaultDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) GMT",
            locale: Locale(identifier: "en_US_POSIX"),
            timeZone: TimeZone(identifier: "GMT")!,
            calendar: Calendar(identifier: .gregorian)
        )
    }
}
