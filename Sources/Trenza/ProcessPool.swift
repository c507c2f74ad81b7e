import Foundation
import Logging
import Synchronization
internal import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A pool of worker processes that run ``Job``s: Python's `multiprocessing.Pool` for Swift,
/// with crash isolation, and safe to use from any library.
///
/// Each worker is this program started again; it serves jobs **before `main` runs**, so the
/// host program needs no hook and a worker never runs the host's code. The job value you pass
/// travels to the workers (jobs are `Codable`, or have no stored properties), so every engine
/// runs the same value.
/// - a worker that dies (signal, `exit`, garbage on its pipe) fails exactly the item it was
///   running, with a message naming the signal or exit status and the worker's last words on
///   stderr; a fresh worker replaces it;
/// - with a per-item `timeout`, a hung worker is killed and replaced and its item fails;
/// - tiny items are sent in chunks sized automatically from their measured time;
/// - when the system refuses some workers (process or descriptor limits) the pool runs on the
///   ones it could start; when it refuses all, the items fail with the system's reason;
/// - workers are reaped as they end (no zombies) and exit by themselves within a tenth of a
///   second when this process ends for any reason, including `SIGKILL` (no orphans).
///
/// ```swift
/// struct Fibonacci: Job {
///     static let name = "example.fibonacci"
///     func run(_ n: Int) -> Int { n < 2 ? n : run(n - 1) + run(n - 2) }
/// }
/// let pool = try ProcessPool(width: 4)
/// defer { pool.shutdown() }
/// let outcomes = await pool.map(Fibonacci(), [30, 31, 32, 33], timeout: .seconds(10))
/// ```
///
/// The pool keeps its workers between calls, so start-up is paid once; concurrent calls share
/// the workers. ``Pool`` offers the same engine with `submit` (futures) and `stream`.
public final class ProcessPool: Sendable {
    /// Settings of the workers themselves.
    public struct Options: Sendable {
        /// Run once in every worker process before its first item (Python's `initializer`).
        public var setup: (any WorkerSetup)?
        /// Replace a worker after it has run this many items (Python's `maxtasksperchild`):
        /// bounds what a leaky job can accumulate.
        public var maxItemsPerWorker: Int?
        /// Where the pool says what its caller should know but no item's outcome carries: that
        /// the system refused some workers and the pool runs narrower (at `warning`).
        public var logger: Logger

        public init(setup: (any WorkerSetup)? = nil, maxItemsPerWorker: Int? = nil, logger: Logger = Logger(label: "trenza.pool")) {
            self.setup = setup
            self.maxItemsPerWorker = maxItemsPerWorker
            self.logger = logger
        }
    }

    /// How many worker processes run at once, at most.
    public let width: Int
    let launch: WorkerLaunch
    let engine: ProcessEngine

    /// The path of the running executable, the default worker.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Creates a pool of `width` workers, started when work arrives.
    ///
    /// - Parameters:
    ///   - width: the most worker processes at once.
    ///   - executable: the worker program: by default this program itself. Another program
    ///     works when it links Trenza and the modules that define your jobs.
    ///   - arguments: passed to the workers; a worker never reads them, but they show in `ps`.
    ///   - options: per-worker setup and recycling.
    /// - Throws: ``WorkerStartError`` when `width` is not positive, the executable is missing,
    ///   the setup cannot travel, or this process is itself a worker (pools do not nest, so that
    ///   no job can make workers multiply).
    public init(width: Int, executable: String? = nil, arguments: [String] = ["worker"], options: Options = Options()) throws(WorkerStartError) {
        guard width > 0 else { throw .init("a process pool needs at least one worker (width \(width))") }
        guard !Worker.isWorkerProcess else {
            throw .init("a worker process cannot start worker processes of its own (process pools do not nest); run this job on the threads or async engine")
        }
        let path = executable ?? Self.currentExecutable
        guard access(path, X_OK) == 0 else {
            throw .init("worker executable \(path) is not an executable file: \(Errno(rawValue: errno))")
        }
        if let limit = options.maxItemsPerWorker, limit < 1 {
            throw .init("maxItemsPerWorker must be at least 1 (got \(limit))")
        }
        var setup: JobTravel.Parcel?
        if let value = options.setup {
            do {
                setup = try Self.parcel(value)
            } catch {
                throw .init(error.message)
            }
        }
        // Writing to a worker that just died must be an error to handle, not a signal that ends us.
        signal(SIGPIPE, SIG_IGN)
        self.width = width
        self.launch = WorkerLaunch(executable: path, arguments: arguments, setup: setup)
        self.engine = try ProcessEngine(width: width, launch: launch, maxItemsPerWorker: options.maxItemsPerWorker, logger: options.logger)
    }

    private static func parcel<S: WorkerSetup>(_ setup: S) throws(JobTravelError) -> JobTravel.Parcel {
        try JobTravel.parcel(for: setup)
    }

    deinit {
        engine.shutdown(grace: .seconds(2))
    }

    /// The process ids of the workers alive right now.
    public var workerProcessIDs: [Int32] { engine.workerPIDs }

    /// Lets work in flight finish (for at most `grace`), fails what is still queued, stops every
    /// worker and joins the pool's threads. Later calls to the pool fail their items.
    public func shutdown(grace: Duration = .seconds(2)) {
        engine.shutdown(grace: grace)
    }

    /// Runs `job` over `inputs` on the workers and returns one outcome per input, in input order.
    ///
    /// - Parameters:
    ///   - job: the job value every worker runs (it travels to them; see ``Job``).
    ///   - inputs: one item each.
    ///   - timeout: the longest one item may run; its worker is then killed and replaced and the
    ///     item fails as ``ItemFailure/Kind-swift.enum/timedOut``.
    ///   - chunkSize: inputs sent per message; `nil` (the default) sizes chunks from the items'
    ///     measured time. If a worker dies inside a chunk, the chunk's items are re-run one by one
    ///     so the failure still lands on exactly the item that caused it.
    ///   - onEvent: progress, called from the pool's threads.
    /// Cancelling the calling task kills the busy workers; unfinished items fail as cancelled.
    public func map<J: Job>(
        _ job: J, _ inputs: [J.Input],
        timeout: Duration? = nil, chunkSize: Int? = nil,
        onEvent: ProgressHandler? = nil
    ) async -> [Outcome<J.Output>] {
        await engine.map(job, inputs, settings: BatchSettings(timeout: timeout, chunkSize: chunkSize), onEvent: onEvent)
    }

    /// Makes SIGINT and SIGTERM end this process cleanly: every worker process of every pool is
    /// killed and reaped first and every scratch folder removed, then the process ends by the
    /// same signal (so the shell still sees "interrupted"). Call once, early in `main`; idempotent.
    ///
    /// Without it, workers still never outlive the process (each exits within a tenth of a second
    /// of its parent's death), but they are reaped by init rather than by us.
    public static func installInterruptHandler() {
        InterruptHandler.install()
    }

    /// Starts a watch on Swift's concurrency runtime: unless ``runtimeThreadsArrived()`` comes
    /// within `seconds`, the interrupt handler's thread ends the program with a clear message.
    /// When the system refuses every new thread (a process limit such as `ulimit -u`), the
    /// runtime waits for one forever and the first hop to another executor never returns: the
    /// program would hang without a word. Call after ``installInterruptHandler()``, whose thread
    /// keeps the time, and before the first `await` that may leave the current thread.
    package static func watchForRuntimeThreads(within seconds: Double = 10) {
        var limit = rlimit()
        let known = getrlimit(__rlimit_resource_t(__RLIMIT_NPROC.rawValue), &limit) == 0
        let cap = !known || limit.rlim_cur == rlim_t.max ? "" : " (this user may run \(limit.rlim_cur) processes and threads in all: ulimit -u)"
        InterruptHandler.arm(
            seconds: seconds,
            message: "trenza: the system refused the threads this program needs to run\(cap); end other processes of this user or raise the limit")
    }

    /// Ends the watch of ``watchForRuntimeThreads(within:)``.
    package static func runtimeThreadsArrived() {
        InterruptHandler.disarm()
    }

    /// Call just before the program exits normally: if an interrupt is being handled, waits for
    /// the handler to end the process by its signal, so the exit status says "interrupted"
    /// rather than reporting the items the interrupt failed.
    package static func yieldToPendingInterrupt() {
        guard LiveWorkers.isClosed else { return }
        usleep(2_000_000)
    }
}

/// Per-batch settings of the process engine.
struct BatchSettings: Sendable {
    var timeout: Duration?
    var chunkSize: Int?
}

extension Duration {
    /// The duration in seconds as a `Double`.
    package var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}

package func formatSeconds(_ seconds: Double) -> String {
    seconds < 1 ? "\(Int((seconds * 1000).rounded())) ms" : String(format: "%.1f s", seconds)
}
