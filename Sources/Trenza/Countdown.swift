import Synchronization

/// Resumes a continuation once `count` arrivals have been counted.
final class Countdown: Sendable {
    private let state: Mutex<(remaining: Int, continuation: CheckedContinuation<Void, Never>?)>

    init(_ count: Int, then continuation: CheckedContinuation<Void, Never>) {
        state = Mutex((count, continuation))
        if count == 0 { arrive(count: 0) }
    }

    func arrive(count: Int = 1) {
        let ready: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.remaining -= count
            guard state.remaining <= 0 else { return nil }
            defer { state.continuation = nil }
            return state.continuation
        }
        ready?.resume()
    }
}
