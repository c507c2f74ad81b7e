/// How to treat the bytes already in a `.part` file, decided from the request that was sent and
/// the response's status and `Content-Range`.
public enum ResumeDecision: Sendable, Equatable {
    /// The server sent the rest: append from `offset` (the part file's size).
    case append(offset: Int)
    /// The server sent the whole file (it ignored the range, or the file changed and `If-Range`
    /// no longer matched): start the part file over.
    case restart
    /// The part file already holds the whole file (416 with a total equal to its size).
    case alreadyComplete
    /// The range answer does not fit the part file: drop it and ask again without a range.
    case discardAndRetry
}

/// A `Content-Range: bytes first-last/total` header, `total` `nil` when the server wrote `*`.
public struct ContentRange: Sendable, Equatable {
    public var first: Int?
    public var last: Int?
    public var total: Int?

    /// Parses `bytes 100-199/1000`, `bytes 100-199/*` and the 416 form `bytes */1000`.
    public init?(_ header: String) {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("bytes ") else { return nil }
        let spec = text.dropFirst("bytes ".count).trimmingCharacters(in: .whitespaces)
        let halves = spec.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count == 2 else { return nil }
        if halves[1] == "*" {
            total = nil
        } else {
            guard let value = Int(halves[1]), value >= 0 else { return nil }
            total = value
        }
        if halves[0] == "*" {
            guard total != nil else { return nil }
            return
        }
        let bounds = halves[0].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2, let first = Int(bounds[0]), let last = Int(bounds[1]), first >= 0, last >= first else { return nil }
        self.first = first
        self.last = last
    }
}

public enum ResumePlan {
    /// What to do with a part file of `partSize` bytes, given that a range from `partSize` was
    /// requested (`rangeRequested`), the response `status` and its `Content-Range`.
    public static func decide(partSize: Int, rangeRequested: Bool, status: Int, contentRange: String?) -> ResumeDecision {
        guard rangeRequested, partSize > 0 else { return .restart }
        switch status {
        case 206:
            guard let range = contentRange.flatMap(ContentRange.init), range.first == partSize else { return .discardAndRetry }
            return .append(offset: partSize)
        case 416:
            if let range = contentRange.flatMap(ContentRange.init), range.total == partSize { return .alreadyComplete }
            return .discardAndRetry
        default:
            return .restart
        }
    }
}
