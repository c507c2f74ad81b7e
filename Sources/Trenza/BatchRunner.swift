import Synchronization

/// The front ends every engine shares: `map` (all outcomes, in input order) and `submit` (one
/// item), both opening a batch on an ``EngineCore`` and waiting for its deliveries.
enum BatchRunner {
    /// Runs `job` over `inputs`; one outcome per input, in input order. Cancelling the calling
    /// task cancels the batch.
    static func map<J: Job>(on engine: some EngineCore, _ job: J, _ inputs: [J.Input], settings: BatchSettings, onEvent: ProgressHandler?) async -> [Outcome<J.Output>] {
        if inputs.isEmpty { return [] }
        let slots = OutcomeRuns<J.Output>(count: inputs.count)
        let handle = BatchHandle()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = Countdown(inputs.count, then: continuation)
                let core = BatchCore(job: job, onEvent: onEvent) { first, outcomes in
                    slots.add(first, outcomes)
                    done.arrive(count: outcomes.count)
                }
                start(core, with: inputs, on: engine, settings: settings, handle: handle)
            }
        } onCancel: {
            if let id = handle.cancel() { engine.cancel(id) }
        }
        if let id = handle.id { engine.close(id) }
        return slots.values()
    }

    /// Runs one item; cancelling the calling task cancels it.
    static func submit<J: Job>(on engine: some EngineCore, _ job: J, _ input: J.Input, settings: BatchSettings) async -> Outcome<J.Output> {
        let handle = BatchHandle()
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome<J.Output>, Never>) in
                let core = BatchCore(job: job, onEvent: nil) { _, outcomes in
                    if let outcome = outcomes.first { continuation.resume(returning: outcome) }
                }
                start(core, with: [input], on: engine, settings: settings, handle: handle)
            }
        } onCancel: {
            if let id = handle.cancel() { engine.cancel(id) }
        }
        if let id = handle.id { engine.close(id) }
        return outcome
    }
}

extension BatchRunner {
    /// Opens the batch and queues all its inputs; a job that cannot run on the engine fails
    /// every item with the reason. Cancellation that came first cancels the batch at once.
    static func start<J: Job>(_ core: BatchCore<J>, with inputs: [J.Input], on engine: some EngineCore, settings: BatchSettings, handle: BatchHandle) {
        let items = core.append(contentsOf: inputs)
        do throws(JobTravelError) {
            let id = try engine.open(core, settings: settings)
            if handle.opened(id) { engine.cancel(id) }
            engine.enqueue(id, items: items)
        } catch {
            core.fail(items, kind: .protocolError, message: error.message)
        }
    }
}

/// A map's outcomes as the runs of consecutive items they arrive in, put in order once at the
/// end: a copy per run rather than a store per item.
final class OutcomeRuns<Output: Sendable>: Sendable {
    private let runs = Mutex<[(first: Int, outcomes: [Outcome<Output>])]>([])
    let count: Int

    init(count: Int) { self.count = count }

    func add(_ first: Int, _ outcomes: [Outcome<Output>]) {
        runs.withLock { $0.append((first, outcomes)) }
    }

    /// All outcomes in input order; an item nobody answered counts as cancelled.
    func values() -> [Outcome<Output>] {
        let sorted = runs.withLock { $0 }.sorted { $0.first < $1.first }
        var values: [Outcome<Output>] = []
        values.reserveCapacity(count)
        for run in sorted where run.first >= values.count {
            while values.count < run.first {
                values.append(.failure(ItemFailure(index: values.count, kind: .cancelled, message: "cancelled before it ran")))
            }
            values.append(contentsOf: run.outcomes)
        }
        while values.count < count {
            values.append(.failure(ItemFailure(index: values.count, kind: .cancelled, message: "cancelled before it ran")))
        }
        return values
    }
}

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
