import Synchronization

/// Counts inputs pulled and not yet taken by the consumer; the producer waits at the window.
///
/// A waiting producer is woken only once a quarter of the window is free again, so producer and
/// consumer trade work in batches rather than handing over one item per task switch.
final class StreamGate: Sendable {
    private struct State {
        var available: Int
        var waiter: (CheckedContinuation<Int, any Error>, Int)?
        var closed = false
        let window: Int
        var resumeAt: Int { max(1, window / 4) }
        /// Few inputs are out: the engine may be waiting for more.
        var draining: Bool { window - available < max(8, window / 8) }

        mutating func take(upTo most: Int) -> Int {
            let granted = min(available, draining ? min(most, 16) : most)
            available -= granted
            return granted
        }
    }
    private let state: Mutex<State>

    init(window: Int) { state = Mutex(State(available: window, window: window)) }

    /// Takes room for up to `most` inputs (at least one), waiting while the window is full.
    /// While the engine is short of work, the batches are small so inputs reach it at once.
    func acquire(upTo most: Int) async throws -> Int {
        let taken = state.withLock { state -> Int? in
            guard state.available > 0, !state.closed else { return nil }
            return state.take(upTo: most)
        }
        if let taken { return taken }
        let granted = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
            let resume: Int? = state.withLock { state in
                if state.closed { return 0 }
                if state.available > 0 { return state.take(upTo: most) }
                state.waiter = (continuation, most)
                return nil
            }
            if let resume { continuation.resume(returning: resume) }
        }
        try Task.checkCancellation()
        return max(granted, 1)
    }

    func release(_ count: Int) {
        guard count > 0 else { return }
        let waiter: (CheckedContinuation<Int, any Error>, Int)? = state.withLock { state in
            state.available += count
            guard let (continuation, most) = state.waiter, state.available >= state.resumeAt else { return nil }
            state.waiter = nil
            return (continuation, state.take(upTo: most))
        }
        if let (continuation, granted) = waiter { continuation.resume(returning: granted) }
    }

    /// Lets a waiting producer go (it then sees its task cancelled).
    func close() {
        let waiter: CheckedContinuation<Int, any Error>? = state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter?.0
        }
        waiter?.resume(returning: 0)
    }
}
