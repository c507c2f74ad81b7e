/// One wait before a retry: which attempt failed, how long the download waits, and why.
///
/// Reported as it starts (``FetchJob``'s `onWait`) and kept in the URL's ``FetchResult``, so
/// that a server asking for a long `Retry-After` never leaves a batch silent.
public struct RetryWait: Codable, Sendable, Equatable {
    /// The attempt (from 1) whose failure led to this wait.
    public var attempt: Int
    public var seconds: Double
    /// The failure, and what set the wait's length (backoff, or the server's `Retry-After`).
    public var reason: String

    public init(attempt: Int, seconds: Double, reason: String) {
        self.attempt = attempt
        self.seconds = seconds
        self.reason = reason
    }
}
