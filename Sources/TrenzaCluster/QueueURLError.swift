/// A queue URL that cannot be used, with what is wrong in words a user can act on. The URL is
/// shown without its password.
public struct QueueURLError: Error, Equatable, CustomStringConvertible, Sendable {
    public var url: String
    public var reason: String

    init(_ url: String, _ reason: String) {
        self.url = Self.hidingPassword(url)
        self.reason = reason
    }

    public var description: String { "bad queue URL \(url): \(reason)" }

    static func hidingPassword(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), let at = url[schemeEnd.upperBound...].firstIndex(of: "@") else { return url }
        let userInfo = url[schemeEnd.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
