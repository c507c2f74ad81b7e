/// What every engine offers the front ends (``Pool``'s `map`, `stream` and `submit`): batches
/// opened with a job, inputs queued by index as they arrive, outcomes delivered through the
/// batch, cancellation.
protocol EngineCore: Sendable {
    /// Registers a batch; throws when its job cannot run on this engine.
    func open<J: Job>(_ batch: BatchCore<J>, settings: BatchSettings) throws(JobTravelError) -> Int
    /// Queues items of an open batch (their inputs are already in the batch).
    func enqueue(_ batch: Int, items: Range<Int>)
    /// Stops a batch: queued items fail as cancelled; running ones are stopped where the engine can.
    func cancel(_ batch: Int)
    /// Forgets a batch whose every item has been delivered.
    func close(_ batch: Int)
    /// Inputs a stream keeps pulled ahead of its consumer on this engine.
    var streamWindow: Int { get }
}
