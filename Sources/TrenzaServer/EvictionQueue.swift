import Synchronization

/// The connections of one event loop that are waiting for a request (idle between requests, or
/// still sending a head), the longest-waiting first: whom to close when the server is full.
///
/// A doubly linked list threaded through the connections themselves, so that joining and
/// leaving it — twice per request — cost no allocation and no search. Used only on its loop.
final class EvictionQueue {
    private var oldest: ConnectionDeadlines?
    private var newest: ConnectionDeadlines?
    /// How many are queued, readable from other loops: where to look when this loop has none.
    let waiting: WaitingCount

    init(waiting: WaitingCount) {
        self.waiting = waiting
    }

    /// Puts `connection` at the newest end (moving it there when it was queued already).
    func append(_ connection: ConnectionDeadlines) {
        if connection.isQueued { remove(connection) }
        connection.older = newest
        connection.newer = nil
        newest?.newer = connection
        newest = connection
        if oldest == nil { oldest = connection }
        connection.isQueued = true
        waiting.value.wrappingAdd(1, ordering: .relaxed)
    }

    func remove(_ connection: ConnectionDeadlines) {
        guard connection.isQueued else { return }
        if let older = connection.older { older.newer = connection.newer } else { oldest = connection.newer }
        if let newer = connection.newer { newer.older = connection.older } else { newest = connection.older }
        connection.older = nil
        connection.newer = nil
        connection.isQueued = false
        waiting.value.wrappingSubtract(1, ordering: .relaxed)
    }

    /// Takes the connection that has waited longest out of the queue.
    func removeOldest() -> ConnectionDeadlines? {
        guard let oldest else { return nil }
        remove(oldest)
        return oldest
    }
}

/// The size of one loop's ``EvictionQueue``, shared with the other loops.
final class WaitingCount: Sendable {
    let value = Atomic<Int>(0)
}
