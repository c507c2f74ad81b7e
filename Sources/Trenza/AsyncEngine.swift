import Synchronization

/// The async engine behind ``Pool``: at most `width` items running as tasks at once, each with
/// the job's async form; no thread per item, pending or running.
final class AsyncEngine: EngineCore {
    let width: Int

    private struct State {
        var queue: [(batch: Int, items: Range<Int>)] = []
        var head = 0
        var running = 0
        var queued = 0
        var open: [Int: any AsyncBatchHandle] = [:]
        var cancelled: Set<Int> = []
        /// Tasks running an item, by batch, so cancelling a batch cancels its jobs.
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

    /// Runs queued items one after another until the queue is empty.
    private func drain() async {
        while let (id, index, batch, cancelled) = takeNext() {
            if cancelled {
                batch.fail(index, kind: .cancelled, message: "cancelled before it ran")
                continue
            }
            let task = Task { await batch.run(index) }
            let stillOpen = state.withLock { state -> Bool in
                state.tasks[id, default: [:]][index] = task
                return !state.cancelled.contains(id)
            }
            if !stillOpen { task.cancel() }
            await task.value
            state.withLock { state in _ = state.tasks[id]?.removeValue(forKey: index) }
        }
    }

    private func takeNext() -> (Int, Int, any AsyncBatchHandle, Bool)? {
        state.withLock { state in
            while state.head < state.queue.count {
                let (id, items) = state.queue[state.head]
                guard let batch = state.open[id], let index = items.first else {
                    state.queued -= items.count
                    state.head += 1
                    continue
                }
                state.queued -= 1
                if items.count == 1 {
                    state.head += 1
                    if state.head > 256 && state.head * 2 > state.queue.count {
                        state.queue.removeFirst(state.head)
                        state.head = 0
                    }
                } else {
                    state.queue[state.head].items = items.dropFirst()
                }
                return (id, index, batch, state.cancelled.contains(id))
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
    func run(_ index: Int) async
    func fail(_ index: Int, kind: ItemFailure.Kind, message: String)
}

struct AsyncBatch<J: Job>: AsyncBatchHandle {
    let core: BatchCore<J>

    func run(_ index: Int) async {
        let items = index..<index + 1
        if Task.isCancelled {
            core.fail(items, kind: .cancelled, message: "cancelled before it ran")
            return
        }
        let input = core.inputs(items)[0]
        core.started(items)
        let start = monotonicSeconds()
        let outcome: Outcome<J.Output>
        do {
            outcome = .success(try await core.job.runAsync(input))
        } catch {
            let cancelled = error is CancellationError
            outcome = .failure(ItemFailure(index: index, kind: cancelled ? .cancelled : .jobError, message: cancelled ? "cancelled" : describe(error)))
        }
        core.finish(items, [outcome], seconds: monotonicSeconds() - start)
    }

    func fail(_ index: Int, kind: ItemFailure.Kind, message: String) {
        core.fail(index..<index + 1, kind: kind, message: message)
    }
}
