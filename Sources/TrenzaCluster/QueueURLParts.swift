/// A connection URL split into its percent-decoded pieces, before any defaults are applied.
struct QueueURLParts {
    var user: String?
    var password: String?
    var host: String?
    var port: String?
    var database: String?
    var parameters: [String: String] = [:]

    /// The query parameters the queue honours; libpq's others would change what the connection
    /// means (client certificates, several hosts), so they are refused rather than ignored.
    static let knownParameters: Set<String> = [
        "host", "port", "user", "password", "dbname", "sslmode", "sslrootcert", "connect_timeout", "application_name",
    ]

    init(_ text: String) throws(QueueURLError) {
        let lowered = text.lowercased()
        guard let scheme = ["postgresql://", "postgres://"].first(where: { lowered.hasPrefix($0) }) else {
            throw QueueURLError(text, "a queue URL starts with postgresql:// or postgres://")
        }
        var rest = Substring(text.dropFirst(scheme.count))
        if let question = rest.firstIndex(of: "?") {
            try parseQuery(rest[rest.index(after: question)...], in: text)
            rest = rest[..<question]
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty { database = try Self.decode(path, in: text) }
        }
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.decode(userInfo[..<colon], in: text)
                password = try Self.decode(userInfo[userInfo.index(after: colon)...], in: text)
            } else if !userInfo.isEmpty {
                user = try Self.decode(userInfo, in: text)
            }
        }
        try parseHostAndPort(authority, in: text)
    }

    private mutating func parseHostAndPort(_ authority: Substring, in text: String) throws(QueueURLError) {
        guard !authority.isEmpty else { return }
        if authority.contains(",") {
            throw QueueURLError(text, "several hosts (\(authority)) are not supported; give one")
        }
        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw QueueURLError(text, "the IPv6 address in brackets has no closing \"]\"")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                portPart = after.dropFirst()
            } else if !after.isEmpty {
                throw QueueURLError(text, "unexpected \"\(after)\" after the IPv6 address")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        if !hostPart.isEmpty { host = try Self.decode(hostPart, in: text) }
        if let portPart { port = try Self.decode(portPart, in: text) }
    }

    private mutating func parseQuery(_ query: Substring, in text: String) throws(QueueURLError) {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "=") else {
                throw QueueURLError(text, "the parameter \"\(pair)\" has no value (write name=value)")
            }
            let name = try Self.decode(pair[..<equals], in: text)
            guard Self.knownParameters.contains(name) else {
                throw QueueURLError(text, "unknown parameter \"\(name)\" (known: \(Self.knownParameters.sorted().joined(separator: ", ")))")
            }
            parameters[name] = try Self.decode(pair[pair.index(after: equals)...], in: text)
        }
    }

    /// Percent-decoding that fails loudly: libpq rejects a `%` not followed by two hex digits.
    static func decode(_ part: Substring, in text: String) throws(QueueURLError) -> String {
        guard part.contains("%") else { return String(part) }
        var bytes: [UInt8] = []
        var utf8 = part.utf8[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard utf8.count >= 2, let high = hexValue(utf8.popFirst()!), let low = hexValue(utf8.popFirst()!) else {
                throw QueueURLError(text, "\"\(part)\" has a % that is not followed by two hex digits")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw QueueURLError(text, "\"\(part)\" does not decode to UTF-8 text")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
