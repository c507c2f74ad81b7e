import Synchronization
import Trenza

/// The processes pool a cluster worker runs retried chunks on, started the first time one comes
/// back: a chunk that lost its lease may hold an input that crashes whatever runs it, and in a
/// worker process of its own that input fails alone instead of taking the worker down again.
final class IsolationPool: Sendable {
    private let base: Pool
    private let enabled: Bool
    private let state = Mutex<(pool: Pool?, unavailable: Bool)>((nil, false))

    init(pool: Pool, enabled: Bool) {
        base = pool
        self.enabled = enabled && pool.engine != .processes
    }

    /// The pool, or nil when isolation is off or worker processes cannot be started here (the
    /// chunk then runs on the worker's own pool, as the first attempt did).
    func pool() -> Pool? {
        guard enabled else { return nil }
        return state.withLock { state in
            if state.pool == nil && !state.unavailable {
                var options = base.options
                options.chunkSize = 1
                do {
                    state.pool = try Pool(engine: .processes, width: base.width, options: options)
                } catch {
                    options.logger.warning("retried chunks run without isolation: \(error)")
                    state.unavailable = true
                }
            }
            return state.pool
        }
    }

    func shutdown() async {
        if let pool = state.withLock({ $0.pool }) { await pool.shutdown() }
    }
}
