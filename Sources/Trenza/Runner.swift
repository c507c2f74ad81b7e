/// Maps a ``Job`` over many inputs on one ``Engine`` with a given width: change one word to
/// change strand, as with Python's `ThreadPoolExecutor` and `ProcessPoolExecutor`.
///
/// ```swift
/// let outcomes = await Runner(engine: .processes, width: 2).map(SquareJob(), [1, 2, 3])
/// // [.success(1), .success(4), .success(9)]
/// ```
///
/// Every call returns one ``Outcome`` per input, in input order: one bad item never aborts the
/// batch. Each call starts its own ``Pool`` and stops it before returning; to keep workers
/// between batches, or to stream or submit single items, use a ``Pool``.
public struct Runner: Sendable {
    /// Settings that only some engines use: the same as a ``Pool``'s, since a runner is a pool
    /// for one call.
    public typealias Options = Pool.Options

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
        let pool: Pool
        do {
            pool = try Pool(engine: engine, width: min(width, inputs.count), options: options)
        } catch {
            return inputs.indices.map { index in
                let failure = ItemFailure(index: index, kind: .workerCrashed, message: error.message)
                onEvent?(.failed(failure))
                return .failure(failure)
            }
        }
        let outcomes = await pool.map(job, inputs, onEvent: onEvent)
        await pool.shutdown()
        return outcomes
    }
}
