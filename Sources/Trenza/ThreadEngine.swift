import Synchronization

/// The threads engine behind ``Pool``: a ``ThreadPool`` running each item with the job's
/// blocking form.
final class ThreadEngine: EngineCore {
    let pool: ThreadPool
    private let batches = Mutex<(open: [Int: any ThreadBatchHandle], cancelled: Set<Int>, next: Int)>(([:], [], 0))

    init(width: Int) {
        pool = ThreadPool(width: width)
    }

    var streamWindow: Int { 64 * pool.width }

    func open<J: Job>(_ batch: BatchCore<J>, settings: BatchSettings) throws(JobTravelError) -> Int {
        batches.withLock { state in
            state.next += 1
            state.open[state.next] = ThreadBatch(core: batch)
            return state.next
        }
    }

    func enqueue(_ id: Int, items: Range<Int>) {
        guard let batch = batches.withLock({ $0.open[id] }) else { return }
        for index in items {
            pool.submit { [self] in
                if batches.withLock({ $0.cancelled.contains(id) }) {
                    batch.fail(index, kind: .cancelled, message: "cancelled before it ran")
                } else {
                    batch.run(index)
                }
            }
        }
    }

    /// Items not started fail as cancelled; running ones finish, since a thread cannot be
    /// stopped from outside.
    func cancel(_ id: Int) { _ = batches.withLock { $0.cancelled.insert(id) } }

    func close(_ id: Int) {
        batches.withLock { state in
            state.open[id] = nil
            state.cancelled.remove(id)
        }
    }

    func shutdown() { pool.shutdown() }
}

protocol ThreadBatchHandle: Sendable {
    func run(_ index: Int)
    func fail(_ index: Int, kind: ItemFailure.Kind, message: String)
}

struct ThreadBatch<J: Job>: ThreadBatchHandle {
    let core: BatchCore<J>

    func run(_ index: Int) {
        let input = core.inputs(index..<index + 1)[0]
        core.started(index..<index + 1)
        let start = monotonicSeconds()
        let outcome: Outcome<J.Output>
        do {
            outcome = .success(try core.job.run(input))
        } catch {
            outcome = .failure(ItemFailure(index: index, kind: .jobError, message: describe(error)))
        }
        core.finish(index..<index + 1, [outcome], seconds: monotonicSeconds() - start)
    }

    func fail(_ index: Int, kind: ItemFailure.Kind, message: String) {
        core.fail(index..<index + 1, kind: kind, message: message)
    }
}
