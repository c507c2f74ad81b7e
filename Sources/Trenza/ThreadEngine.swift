import Synchronization

/// The threads engine behind ``Pool``: a ``ThreadPool`` running items with the job's blocking
/// form.
///
/// Items are taken in runs rather than one queue entry each: a queue hand-off costs about a
/// microsecond, more than a tiny item itself. A run is sized from the batch's measured time per
/// item (about a millisecond of work, see ``ThreadRuns``), so slow items still go one at a time
/// and spread evenly, and outcomes are handed over at least every millisecond or so.
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
        guard let batch = batches.withLock({ $0.open[id] }), !items.isEmpty else { return }
        let runs = ThreadRuns(items: items, width: pool.width, pace: batch.pace)
        // One task per thread that can help; each takes runs until none is left.
        for _ in 0..<min(pool.width, items.count) {
            pool.submit { [self] in
                while let run = runs.next() {
                    if batches.withLock({ $0.cancelled.contains(id) }) {
                        batch.fail(run, kind: .cancelled, message: "cancelled before it ran")
                    } else {
                        batch.run(run)
                    }
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
    var pace: BatchPace { get }
    func run(_ items: Range<Int>)
    func fail(_ items: Range<Int>, kind: ItemFailure.Kind, message: String)
}

struct ThreadBatch<J: Job>: ThreadBatchHandle {
    let core: BatchCore<J>
    let pace = BatchPace()

    /// Runs `items` in order, handing their outcomes over a run at a time (or sooner, if the
    /// run turns out slow).
    func run(_ items: Range<Int>) {
        let inputs = core.inputs(items)
        var delivery = RunDelivery(items, core: core, pace: pace)
        for (offset, index) in items.enumerated() {
            core.started(index..<index + 1)
            let outcome: Outcome<J.Output>
            do {
                outcome = .success(try core.job.run(inputs[offset]))
            } catch {
                outcome = .failure(ItemFailure(index: index, kind: .jobError, message: describe(error)))
            }
            delivery.add(outcome)
        }
    }

    func fail(_ items: Range<Int>, kind: ItemFailure.Kind, message: String) {
        core.fail(items, kind: kind, message: message)
    }
}
