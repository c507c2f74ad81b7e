import Synchronization

/// A batch's id shared with a cancellation handler that may run before the batch is open.
final class BatchHandle: Sendable {
    private let state = Mutex<(id: Int?, cancelled: Bool)>((nil, false))

    var id: Int? { state.withLock { $0.id } }

    /// Records the id; true when cancellation came first (the caller then cancels the batch).
    func opened(_ id: Int) -> Bool {
        state.withLock { state in
            state.id = id
            return state.cancelled
        }
    }

    /// Marks cancellation; returns the id if the batch is open already.
    func cancel() -> Int? {
        state.withLock { state in
            state.cancelled = true
            return state.id
        }
    }
}
