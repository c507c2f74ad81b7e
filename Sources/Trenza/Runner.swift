/// Maps a ``Job`` over many inputs on one ``Engine`` with a given width: change one word to
/// change strand, as with Python's `ThreadPoolExecutor` and `ProcessPoolExecutor`.
///
/// ```swift
/// let outcomes = await Runner(engine: .processes, width: 2).map(SquareJob(), [1, 2, 3])
/// // [.success(1), .success(4), .success(9)]
/// ```
///
/// Every call returns one ``Outcome`` per input, in input order: one bad item never aborts the
/// batch. Each call starts its own pool and stops it before returning; to keep workers between
/// batches, use a ``ThreadPool`` or ``ProcessPool`` directly.
public struct Runner: Sendable {
    /// Settings that only some engines use.
    public struct Options: Sendable {
        /// Processes engine: the longest one item may run before its worker is killed and replaced.
        public var timeout: Duration?
        /// Processes engine: inputs per message (see ``ProcessPool/map(_:_:timeout:chunkSize:onEvent:)``).
        public var chunkSize: Int
        /// Processes engine: the worker program; `nil` re-runs this executable.
        public var workerExecutable: String?
        /// Processes engine: the worker program's arguments.
        public var workerArguments: [String]

        public init(timeout: Duration? = nil, chunkSize: Int = 1, workerExecutable: String? = nil, workerArguments: [String] = ["worker"]) {
            self.timeout = timeout
            self.chunkSize = chunkSize
            self.workerExecutable = workerExecutable
            self.workerArguments = workerArguments
        }
    }

    public var engine: Engine
    /// The most items in flight at once: threads, worker processes or child tasks.
    public var width: Int
    public var options: Options

    public init(engine: Engine, width: Int, options: Options = Options()) {
        precondition(width > 0, "width must be positive")
        self.engine = engine
        self.width = width
        self.options = options
    }

    /// Runs `job` over `inputs`; one outcome per input, in input order.
    ///
    /// Cancelling the calling task stops the batch: unfinished items fail as cancelled, worker
    /// processes are killed and reaped.
    public func map<J: Job>(_ job: J, _ inputs: [J.Input], onEvent: ProgressHandler? = nil) async -> [Outcome<J.Output>] {
        if inputs.isEmpty { return [] }
        switch engine {
        case .threads:
            let pool = ThreadPool(width: min(width, inputs.count))
            defer { pool.shutdown() }
            return await pool.map(job, inputs, onEvent: onEvent)
        case .processes:
            let pool: ProcessPool
            do {
                pool = try ProcessPool(width: min(width, inputs.count), executable: options.workerExecutable, arguments: options.workerArguments)
            } catch {
                return inputs.indices.map { index in
                    let failure = ItemFailure(index: index, kind: .workerCrashed, message: error.message)
                    onEvent?(.failed(failure))
                    return .failure(failure)
                }
            }
            defer { pool.shutdown() }
            return await pool.map(job, inputs, timeout: options.timeout, chunkSize: options.chunkSize, onEvent: onEvent)
        case .async:
            return await mapAsync(job, inputs, onEvent: onEvent)
        }
    }

    /// Structured concurrency with at most `width` child tasks: start `width`, then one more each
    /// time one finishes.
    private func mapAsync<J: Job>(_ job: J, _ inputs: [J.Input], onEvent: ProgressHandler?) async -> [Outcome<J.Output>] {
        await withTaskGroup(of: (Int, Outcome<J.Output>).self) { group in
            let outcomes = OutcomeSlots<J.Output>(count: inputs.count)
            var next = 0
            func startNext() {
                let index = next
                let input = inputs[index]
                next += 1
                group.addTask {
                    if Task.isCancelled {
                        let failure = ItemFailure(index: index, kind: .cancelled, message: "cancelled before it ran")
                        onEvent?(.failed(failure))
                        return (index, .failure(failure))
                    }
                    onEvent?(.started(index: index))
                    let start = monotonicSeconds()
                    do {
                        let output = try await job.runAsync(input)
                        onEvent?(.succeeded(index: index, seconds: monotonicSeconds() - start))
                        return (index, .success(output))
                    } catch {
                        let kind: ItemFailure.Kind = (error is CancellationError) ? .cancelled : .jobError
                        let failure = ItemFailure(index: index, kind: kind, message: kind == .cancelled ? "cancelled" : describe(error))
                        onEvent?(.failed(failure))
                        return (index, .failure(failure))
                    }
                }
            }
            while next < min(width, inputs.count) { startNext() }
            while let (index, outcome) = await group.next() {
                outcomes.set(index, outcome)
                if next < inputs.count { startNext() }
            }
            return outcomes.values()
        }
    }
}
