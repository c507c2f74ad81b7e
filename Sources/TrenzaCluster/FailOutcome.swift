import Foundation

/// What became of a chunk reported as failed.
public enum FailOutcome: Sendable, Equatable {
    /// Back in the queue, claimable from `after`.
    case retrying(after: Date)
    /// That was its last attempt: it stays dead with the error.
    case dead
    /// The error was not retryable: failed at once, with the error.
    case failed
    /// The lease was no longer this worker's (rescued, cancelled or already reported).
    case refused
}
