import Foundation
import TrenzaFetch

/// Says, as each wait before a retry starts, which file waits, for how long and why: a server
/// answering `Retry-After: 99999999` must not leave a batch silent for minutes.
struct RetryAnnouncer: Sendable {
    let json: Bool
    let quiet: Bool

    func wait(_ item: FetchItem, _ wait: RetryWait) {
        let path = item.folder + "/" + item.name.fileName(contentTypeExtension: nil)
        if json {
            Terminal.err(Self.jsonLine(url: item.request.url, path: path, wait: wait))
        } else if !quiet {
            let attempts = 1 + item.settings.retry.retries
            Terminal.note("waiting \(Self.seconds(wait.seconds)) before attempt \(wait.attempt + 1) of \(attempts) for \(item.request.url): \(wait.reason)")
        }
    }

    private static func seconds(_ value: Double) -> String {
        value >= 10 ? String(format: "%.0f s", value) : String(format: "%.2f s", value)
    }

    static func jsonLine(url: String, path: String, wait: RetryWait) -> String {
        struct Line: Encodable {
            var event = "retry-wait"
            var url: String
            var path: String
            var attempt: Int
            var seconds: Double
            var reason: String
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = Line(url: url, path: path, attempt: wait.attempt, seconds: (wait.seconds * 1000).rounded() / 1000, reason: wait.reason)
        return (try? String(decoding: encoder.encode(line), as: UTF8.self)) ?? "{}"
    }
}
