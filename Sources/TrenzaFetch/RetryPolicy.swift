import Foundation

/// When a failed attempt is worth another, and how long to wait before it.
public struct RetryPolicy: Codable, Sendable, Hashable {
    /// Attempts after the first.
    public var retries: Int
    /// The wait before the first retry; each later one waits twice as long, up to ``maximumDelay``.
    public var baseDelay: Double
    public var maximumDelay: Double
    /// The longest `Retry-After` obeyed: a server asking for an hour gets this many seconds
    /// (`trenza fetch --max-retry-wait`).
    public var maximumRetryAfter: Double

    public init(retries: Int = 3, baseDelay: Double = 0.5, maximumDelay: Double = 30, maximumRetryAfter: Double = 120) {
        self.retries = retries
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// Statuses that say "not now" rather than "never": timeouts, rate limits, overloaded or
    /// restarting servers and proxies.
    public static let retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    public static func isRetryable(status: Int) -> Bool { retryableStatuses.contains(status) }

    /// The wait before attempt `attempt + 1`, after `attempt` (from 1) failed: exponential, with
    /// "equal jitter" (half fixed, half random) so that many clients failing together do not
    /// come back together, and never shorter than the server's `Retry-After`.
    public func delay(afterAttempt attempt: Int, retryAfter: Double? = nil,
                      random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) -> Double {
        let exponential = min(maximumDelay, baseDelay * pow(2, Double(max(0, attempt - 1))))
        let jittered = exponential / 2 + random(0...(exponential / 2))
        guard let retryAfter else { return jittered }
        return max(jittered, min(retryAfter, maximumRetryAfter))
    }

    /// A policy whose every wait, backoff and `Retry-After` alike, lasts at most `seconds`.
    public func cappingWaits(at seconds: Double) -> RetryPolicy {
        var capped = self
        capped.maximumRetryAfter = seconds
        capped.maximumDelay = min(maximumDelay, seconds)
        return capped
    }

    /// Why a wait of `seconds` follows the failure `failure`: what the server asked for, and
    /// whether the cap shortened it.
    public func reason(for seconds: Double, after failure: String, retryAfter: Double?) -> String {
        guard let retryAfter else { return "\(failure); backoff" }
        if retryAfter > maximumRetryAfter {
            return "\(failure); the server asked to wait \(Self.format(retryAfter)) s (Retry-After), capped at \(Self.format(maximumRetryAfter)) s (--max-retry-wait)"
        }
        return "\(failure); the server asked to wait \(Self.format(retryAfter)) s (Retry-After)"
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int(seconds)) : String(format: "%.3g", seconds)
    }

    /// Seconds to wait from a `Retry-After` value: delta-seconds (`120`) or an HTTP date
    /// (`Wed, 21 Oct 2015 07:28:00 GMT`, measured from `now`); `nil` when it is neither.
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text) { return seconds >= 0 ? Double(seconds) : nil }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }
}
