/// How long a failed chunk waits before its next attempt: `base × 2^(attempt−1)`, at most `cap`,
/// minus up to `jitter` of it at random so that chunks failing together do not retry together.
public struct RetryBackoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration
    /// The fraction (0…1) of each wait that is random.
    public var jitter: Double

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(60), jitter: Double = 0.5) {
        self.base = base
        self.cap = cap
        self.jitter = min(1, max(0, jitter))
    }

    /// No wait at all: for tests, and for errors known to be momentary.
    public static let immediate = RetryBackoff(base: .zero, cap: .zero, jitter: 0)
}
