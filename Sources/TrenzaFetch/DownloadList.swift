import Foundation

/// One URL to download, with the checksum its file must have when the list gives one.
public struct DownloadRequest: Codable, Sendable, Hashable {
    public var url: String
    /// Lower-case hex SHA-256 of the whole file, or `nil` when unknown.
    public var sha256: String?

    public init(url: String, sha256: String? = nil) {
        self.url = url
        self.sha256 = sha256
    }
}

/// Reads URL lists: one URL per line, `#` comments and blank lines ignored, and an optional
/// `<TAB>sha256=<hex>` after the URL.
public enum DownloadList {
    /// A line of a list that is not a usable URL, with the line's number (from 1) and the reason.
    public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
        public var source: String
        public var line: Int
        public var reason: String
        public var description: String { "\(source):\(line): \(reason)" }
    }

    /// Parses the text of a list; `source` names it in error messages (a path or "stdin").
    public static func parse(_ text: String, source: String) throws(ParseError) -> [DownloadRequest] {
        var requests: [DownloadRequest] = []
        // Splitting on "\n" alone would leave a "\r" on every URL of a list saved on Windows.
        for (offset, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
            let url = fields[0]
            var checksum: String?
            for field in fields.dropFirst() {
                guard field.lowercased().hasPrefix("sha256=") else {
                    throw ParseError(source: source, line: offset + 1, reason: "unknown field \"\(field)\" after the URL (expected sha256=<64 hex digits>)")
                }
                let hex = String(field.dropFirst("sha256=".count)).lowercased()
                guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
                    throw ParseError(source: source, line: offset + 1, reason: "sha256 must be 64 hex digits, got \"\(hex)\"")
                }
                checksum = hex
            }
            if let problem = validate(url: url) {
                throw ParseError(source: source, line: offset + 1, reason: problem)
            }
            requests.append(DownloadRequest(url: url, sha256: checksum))
        }
        return requests
    }

    /// Why `url` cannot be downloaded, or `nil` when it is an http or https URL with a host.
    public static func validate(url: String) -> String? {
        guard let components = URLComponents(string: url) else { return "not a URL: \(url)" }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            return "only http and https URLs can be downloaded: \(url)"
        }
        guard let host = components.host, !host.isEmpty else { return "the URL has no host: \(url)" }
        return nil
    }

    /// The requests in their first order with repeated URLs dropped: two downloads of one URL
    /// would write one file twice at once. A repeat that adds a checksum the first lacked lends
    /// it to the first.
    public static func removingDuplicates(_ requests: [DownloadRequest]) -> (unique: [DownloadRequest], duplicates: Int) {
        var position: [String: Int] = [:]
        var unique: [DownloadRequest] = []
        for request in requests {
            if let index = position[request.url] {
                if unique[index].sha256 == nil { unique[index].sha256 = request.sha256 }
                continue
            }
            position[request.url] = unique.count
            unique.append(request)
        }
        return (unique, requests.count - unique.count)
    }
}
