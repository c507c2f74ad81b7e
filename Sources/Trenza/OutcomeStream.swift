import Synchronization

/// The outcomes of ``Pool/stream(_:_:order:onEvent:)``, as an `AsyncSequence`.
///
/// Iterate it once. Inputs are pulled only while fewer than the pool's stream window are waiting
/// to be taken from here, so a slow consumer slows the producer instead of filling memory.
public struct OutcomeStream<Output: Sendable>: AsyncSequence, Sendable {
    public typealias Element = StreamedOutcome<Output>

    private let chunks: AsyncThrowingStream<(first: Int, outcomes: [Outcome<Output>]), any Error>
    private let gate: StreamGate
    private let order: StreamOrder

    init<J: Job, Inputs: AsyncSequence & Sendable>(
        engine: any EngineCore, job: J, inputs: Inputs, order: StreamOrder,
        window: Int, settings: BatchSettings, onEvent: ProgressHandler?
    ) where J.Output == Output, Inputs.Element == J.Input {
        let (chunks, continuation) = AsyncThrowingStream<(first: Int, outcomes: [Outcome<Output>]), any Error>.makeStream()
        let gate = StreamGate(window: window)
        self.chunks = chunks
        self.gate = gate
        self.order = order
        let progress = Mutex<(delivered: Int, total: Int?, failure: (any Error)?)>((0, nil, nil))
        let handle = BatchHandle()
        /// Ends the stream once every pulled input has its outcome and the inputs are done.
        @Sendable func finishIfComplete() {
            let ending: (Bool, (any Error)?) = progress.withLock { state in
                guard let total = state.total, state.delivered == total else { return (false, nil) }
                return (true, state.failure)
            }
            guard ending.0 else { return }
            if let error = ending.1 { continuation.finish(throwing: error) } else { continuation.finish() }
            if let id = handle.id { engine.close(id) }
        }
        let core = BatchCore(job: job, onEvent: onEvent) { first, outcomes in
            continuation.yield((first, outcomes.moveToArray()))
            progress.withLock { $0.delivered += outcomes.count }
            finishIfComplete()
        }
        let feeder = Task {
            let id: Int
            do {
                id = try engine.open(core, settings: settings)
            } catch {
                continuation.finish(throwing: error)
                return
            }
            if handle.opened(id) { engine.cancel(id) }
            var buffer: [J.Input] = []
            var failure: (any Error)?
            func flush() {
                guard !buffer.isEmpty else { return }
                let items = core.append(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
                engine.enqueue(id, items: items)
            }
            do {
                // Room is taken, and inputs handed over, in batches: a lock per batch, not per
                // input. A starving engine gets small batches at once.
                var permits = 0
                var lastPull = monotonicSeconds()
                for try await input in inputs {
                    if permits == 0 {
                        flush()
                        permits = try await gate.acquire(upTo: 256)
                    }
                    permits -= 1
                    buffer.append(input)
                    // A generator that took a while for this input may take a while for the
                    // next: what is buffered goes to the engine now.
                    let now = monotonicSeconds()
                    if now - lastPull > 0.000_5 { flush() }
                    lastPull = now
                }
            } catch {
                failure = error
            }
            flush()
            let total = core.inputCount
            progress.withLock { state in
                state.total = total
                state.failure = (failure is CancellationError) ? nil : failure
            }
            finishIfComplete()
        }
        continuation.onTermination = { termination in
            if case .cancelled = termination {
                feeder.cancel()
                gate.close()
                if let id = handle.cancel() { engine.cancel(id) }
            }
        }
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(chunks: chunks.makeAsyncIterator(), gate: gate, order: order)
    }

    public struct Iterator: AsyncIteratorProtocol {
        var chunks: AsyncThrowingStream<(first: Int, outcomes: [Outcome<Output>]), any Error>.Iterator
        let gate: StreamGate
        let order: StreamOrder
        /// Outcomes received and not yet returned: the current run, or by index for `.input`.
        private var arrived: [Outcome<Output>] = []
        private var arrivedFirst = 0
        private var arrivedHead = 0
        private var waiting: [Int: Outcome<Output>] = [:]
        private var nextIndex = 0
        /// Outcomes returned since room was last given back.
        private var taken = 0

        init(chunks: AsyncThrowingStream<(first: Int, outcomes: [Outcome<Output>]), any Error>.Iterator, gate: StreamGate, order: StreamOrder) {
            self.chunks = chunks
            self.gate = gate
            self.order = order
        }

        public mutating func next() async throws -> StreamedOutcome<Output>? {
            try await next(isolation: nil)
        }

        /// Runs on the caller's actor (a `for await` loop on the main actor stays there): a hop
        /// to another executor for every outcome would cost more than the outcome itself.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> StreamedOutcome<Output>? {
            while true {
                switch order {
                case .completion:
                    if arrivedHead < arrived.count {
                        let outcome = arrived[arrivedHead]
                        arrivedHead += 1
                        taken += 1
                        return StreamedOutcome(index: arrivedFirst + arrivedHead - 1, outcome: outcome)
                    }
                case .input:
                    if let outcome = waiting.removeValue(forKey: nextIndex) {
                        nextIndex += 1
                        taken += 1
                        return StreamedOutcome(index: nextIndex - 1, outcome: outcome)
                    }
                }
                // Room goes back to the producer a batch at a time, before waiting for more.
                gate.release(taken)
                taken = 0
                guard let run = try await chunks.next(isolation: actor) else { return nil }
                switch order {
                case .completion:
                    arrived = run.outcomes
                    arrivedFirst = run.first
                    arrivedHead = 0
                case .input:
                    for offset in run.outcomes.indices { waiting[run.first + offset] = run.outcomes[offset] }
                }
            }
        }
    }
}
