import Foundation
import Logging

/// A long-lived executor on one ``Engine``: Python's `concurrent.futures.Executor` for Swift.
///
/// Keep one for as long as there is work — workers, threads and measured chunk sizes carry over
/// between calls — and use it from any number of tasks at once:
/// - ``submit(_:_:)`` runs one item and returns its outcome (a future you `await`); thousands of
///   pending submits cost queue entries, not threads;
/// - ``map(_:_:onEvent:)`` runs many and returns their outcomes in input order;
/// - ``stream(_:_:order:onEvent:)`` pulls inputs from any `AsyncSequence` with back-pressure and
///   yields outcomes as they finish, or in input order.
///
/// ```swift
/// try await withPool(engine: .processes, width: 4) { pool in
///     let one = await pool.submit(Fibonacci(), 30)
///     for try await result in pool.stream(Fibonacci(), numbers) {
///         print(result.index, result.outcome)
///     }
/// }
/// ```
///
/// ``withPool(engine:width:options:_:)`` shuts the pool down however its body ends; a pool made
/// with ``init(engine:width:options:)`` is shut down by ``shutdown()``.
public final class Pool: Sendable {
    /// Settings that only some engines use.
    public struct Options: Sendable {
        /// Processes: the longest one item may run before its worker is killed and replaced.
        public var timeout: Duration?
        /// Processes: inputs per message; `nil` sizes chunks from the items' measured time.
        public var chunkSize: Int?
        /// Processes: the worker program; `nil` re-runs this executable.
        public var workerExecutable: String?
        /// Processes: the worker program's arguments (shown by `ps`; a worker does not read them).
        public var workerArguments: [String]
        /// Processes: work done once in each worker before its first item.
        public var setup: (any WorkerSetup)?
        /// Processes: replace a worker after this many items.
        public var maxItemsPerWorker: Int?
        /// Streams: the most inputs pulled ahead of the consumer; `nil` picks a size per engine
        /// (64 per thread or task, 16,384 per worker process, so that chunks can be large).
        public var streamWindow: Int?
        /// Processes: where the pool reports what no item's outcome carries, such as workers the
        /// system refused to start (the pool then runs narrower), at `warning`.
        public var logger: Logger

        public init(
            timeout: Duration? = nil, chunkSize: Int? = nil,
            workerExecutable: String? = nil, workerArguments: [String] = ["worker"],
            setup: (any WorkerSetup)? = nil, maxItemsPerWorker: Int? = nil, streamWindow: Int? = nil,
            logger: Logger = Logger(label: "trenza.pool")
        ) {
            self.logger = logger
            self.timeout = timeout
            self.chunkSize = chunkSize
            self.workerExecutable = workerExecutable
            self.workerArguments = workerArguments
            self.setup = setup
            self.maxItemsPerWorker = maxItemsPerWorker
            self.streamWindow = streamWindow
        }
    }

    public let engine: Engine
    /// The most items running at once: threads, worker processes or tasks.
    public let width: Int
    public let options: Options
    private let core: any EngineCore
    private let stop: @Sendable () -> Void

    /// Creates a pool; worker processes and threads start as work arrives.
    ///
    /// - Throws: ``WorkerStartError`` for the processes engine when the worker program is not
    ///   usable, the setup cannot travel, or this process is itself a worker.
    public init(engine: Engine, width: Int, options: Options = Options()) throws(WorkerStartError) {
        guard width > 0 else { throw WorkerStartError("a pool needs a width of at least 1 (got \(width))") }
        self.engine = engine
        self.width = width
        self.options = options
        switch engine {
        case .threads:
            let threads = ThreadEngine(width: width)
            core = threads
            stop = { threads.shutdown() }
        case .processes:
            let pool = try ProcessPool(
                width: width, executable: options.workerExecutable, arguments: options.workerArguments,
                options: .init(setup: options.setup, maxItemsPerWorker: options.maxItemsPerWorker, logger: options.logger))
            core = pool.engine
            stop = { pool.shutdown() }
        case .async:
            core = AsyncEngine(width: width)
            stop = {}
        }
    }

    /// Runs one item. Cancelling the calling task cancels it (a worker process running it is
    /// killed and replaced; a thread finishes it).
    public func submit<J: Job>(_ job: J, _ input: J.Input) async -> Outcome<J.Output> {
        await BatchRunner.submit(on: core, job, input, settings: settings)
    }

    /// Runs `job` over `inputs`; one outcome per input, in input order. Cancelling the calling
    /// task fails the unfinished items as cancelled.
    public func map<J: Job>(_ job: J, _ inputs: [J.Input], onEvent: ProgressHandler? = nil) async -> [Outcome<J.Output>] {
        await BatchRunner.map(on: core, job, inputs, settings: settings, onEvent: onEvent)
    }

    /// Runs `job` over inputs pulled from `inputs` as room frees up, and yields each outcome with
    /// its input's position.
    ///
    /// At most ``Options/streamWindow`` inputs are pulled ahead of what the consumer has taken,
    /// so memory stays flat however long the sequence is. With `order: .input` outcomes come in
    /// input order (a slow item holds back later ones, within the window). Stopping the
    /// iteration, or cancelling its task, cancels the rest. An error thrown by `inputs` ends the
    /// stream with that error after the outcomes of the inputs before it.
    public func stream<J: Job, Inputs: AsyncSequence & Sendable>(
        _ job: J, _ inputs: Inputs, order: StreamOrder = .completion, onEvent: ProgressHandler? = nil
    ) -> OutcomeStream<J.Output> where Inputs.Element == J.Input {
        OutcomeStream(
            engine: core, job: job, inputs: inputs, order: order,
            window: max(1, options.streamWindow ?? core.streamWindow), settings: settings, onEvent: onEvent)
    }

    /// Finishes the work in flight, fails what is queued and stops the threads and workers.
    /// Blocks until they are gone, off Swift's cooperative threads.
    public func shutdown() async {
        let stop = self.stop
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let started = startThread(name: "trenza-shutdown") {
                stop()
                continuation.resume()
            }
            if case .success(let thread) = started {
                pthread_detach(thread)
            } else {
                // No thread to spare (a process limit): block this one rather than never stop.
                stop()
                continuation.resume()
            }
        }
    }

    private var settings: BatchSettings { BatchSettings(timeout: options.timeout, chunkSize: options.chunkSize) }
}

/// Runs `body` with a new ``Pool`` and shuts the pool down when `body` returns or throws, as
/// AsyncHTTPClient's `withHTTPClient` does.
public func withPool<Result>(
    engine: Engine, width: Int, options: Pool.Options = Pool.Options(),
    _ body: (Pool) async throws -> Result
) async throws -> Result {
    let pool = try Pool(engine: engine, width: width, options: options)
    do {
        let result = try await body(pool)
        await pool.shutdown()
        return result
    } catch {
        await pool.shutdown()
        throw error
    }
}

/// The order in which a stream yields outcomes.
public enum StreamOrder: Sendable {
    /// As items finish (Python's `imap_unordered`, `as_completed`).
    case completion
    /// In input order (Python's `imap`), holding finished items back behind slower earlier ones.
    case input
}

/// One outcome of a stream and the position of its input in the input sequence.
public struct StreamedOutcome<Output: Sendable>: Sendable {
    public var index: Int
    public var outcome: Outcome<Output>

    public init(index: Int, outcome: Outcome<Output>) {
        self.index = index
        self.outcome = outcome
    }
}
