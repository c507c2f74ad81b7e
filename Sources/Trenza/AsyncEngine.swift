import Synchronization

/// The async engine behind ``Pool``: at most `width` tasks running items at once, with the
/// job's async form; no thread per item, pending or running.
///
/// A task takes a run of consecutive items sized from the batch's measured time per item (see
/// ``BatchPace``): one at a time for items that wait (a download), many for items that finish in
/// microseconds, where a task per item would cost more than the item.
final class AsyncEngine: EngineCore {
    let width: Int

    private struct State {
        var queue: [(batch: Int, items: Range<Int>)] = []
        var head = 0
        var running = 0
        var queued = 0
        var open: [Int: any AsyncBatchHandle] = [:]
        var cancelled: Set<Int> = []
        /// Tasks running a run of items, by batch and first item, so cancelling a batch cancels
        /// its jobs.
        var tasks: [Int: [Int: Task<Void, Never>]] = [:]
        var nextBatch = 0
    }
    private let state = Mutex(State())

    init(width: Int) { self.width = width }

    var streamWindow: Int { 64 * width }

    func open<J: Job>(_ batch: BatchCore<J>, settings: BatchSettings) throws(JobTravelError) -> Int {
        state.withLock { state in
            state.nextBatch += 1
            state.open[state.nextBatch] = AsyncBatch(core: batch)
            return state.nextBatch
        }
    }

    func enqueue(_ batch: Int, items: Range<Int>) {
        guard !items.isEmpty else { return }
        let toStart = state.withLock { state -> Int in
            state.queue.append((batch, items))
            state.queued += items.count
            let starting = min(width - state.running, state.queued)
            state.running += starting
            return starting
        }
        for _ in 0..<toStart {
            Task { await self.drain() }
        }
    }

    /// Runs queued items, a run at a time, until the queue is empty.
    private func drain() async {
        while let (id, run, batch, cancelled) = takeNext() {
            if cancelled {
                batch.fail(run, kind: .cancelled, message: "cancelled before it ran")
                continue
            }
            let task = Task { await batch.run(run) }
            let stillOpen = state.withLock { state -> Bool in
                state.tasks[id, default: [:]][run.lowerBound] = task
                return !state.cancelled.contains(id)
            }
            if !stillOpen { task.cancel() }
            await task.value
            state.withLock { state in _ = state.tasks[id]?.removeValue(forKey: run.lowerBound) }
        }
    }

    private func takeNext() -> (Int, Range<Int>, any AsyncBatchHandle, Bool)? {
        state.withLock { state in
            while state.head < state.queue.count {
                let (id, items) = state.queue[state.head]
                guard let batch = state.open[id], !items.isEmpty else {
                    state.queued -= items.count
                    state.head += 1
                    continue
                }
                let size = batch.pace.runSize(remaining: items.count, width: width)
                let run = items.lowerBound..<(items.lowerBound + size)
                state.queued -= size
                if size == items.count {
                    state.head += 1
                    if state.head > 256 && state.head * 2 > state.queue.count {
                        state.queue.removeFirst(state.head)
                        state.head = 0
                    }
                } else {
                    state.queue[state.head].items = run.upperBound..<items.upperBound
                }
                return (id, run, batch, state.cancelled.contains(id))
            }
            state.running -= 1
            return nil
        }
    }

    func cancel(_ id: Int) {
        let running = state.withLock { state -> [Task<Void, Never>] in
            state.cancelled.insert(id)
            return Array(state.tasks[id]?.values ?? [:].values)
        }
        for task in running { task.cancel() }
    }

    func close(_ id: Int) {
        state.withLock { state in
            state.open[id] = nil
            state.cancelled.remove(id)
            state.tasks[id] = nil
        }
    }
}

protocol AsyncBatchHandle: Sendable {
    var pace: BatchPace { get }
    func run(_ items: Range<Int>) async
    func fail(_ items: Range<Int>, kind: ItemFailure.Kind, message: String)
}

struct AsyncBatch<J: Job>: AsyncBatchHandle {
    let core: BatchCore<J>
    let pace = BatchPace()

    /// Runs `items` one after another, handing their outcomes over at least every
    /// ``BatchPace/targetSeconds``; once the task is cancelled, the rest fail as cancelled.
    func run(_ items: Range<Int>) async {
        let inputs = core.inputs(items)
        var delivery = RunDelivery(items, core: core, pace: pace)
        for (offset, index) in items.enumerated() {
            let outcome: Outcome<J.Output>
            if Task.isCancelled {
                outcome = .failure(ItemFailure(index: index, kind: .cancelled, message: "cancelled before it ran"))
            } else {
                core.started(index..<index + 1)
                do {
                    outcome = .success(try await core.job.runAsync(inputs[offset]))
                } catch {
                    let cancelled = error is CancellationError
                    outcome = .failure(ItemFailure(index: index, kind: cancelled ? .cancelled : .jobError, message: cancelled ? "cancelled" : describe(error)))
                }
            }
            delivery.add(outcome)
        }
    }

    func fail(_ items: Range<Int>, kind: ItemFailure.Kind, message: String) {
        core.fail(items, kind: kind, message: message)
    }
}
