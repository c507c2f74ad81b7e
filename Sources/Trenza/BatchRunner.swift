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
                    let taken = outcomes.moveToArray()
                    if let outcome = taken.first { continuation.resume(returning: outcome) }
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
