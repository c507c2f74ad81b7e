/// The outcomes of a run of consecutive items as a thread or task produces them: handed to the
/// batch at the end of the run, or sooner once ``BatchPace/targetSeconds`` have passed since the
/// last hand-over (so slow items are reported as they finish), with the pace measured on the way.
struct RunDelivery<J: Job>: ~Copyable {
    private let core: BatchCore<J>
    private let pace: BatchPace
    private let outcomes: UnsafeMutableBufferPointer<Outcome<J.Output>>
    private let end: Int
    /// The item of `outcomes[0]`; `pending` outcomes are waiting from there.
    private var first: Int
    private var pending = 0
    private var start = monotonicSeconds()

    init(_ items: Range<Int>, core: BatchCore<J>, pace: BatchPace) {
        self.core = core
        self.pace = pace
        outcomes = .allocate(capacity: items.count)
        end = items.upperBound
        first = items.lowerBound
    }

    deinit {
        if pending > 0 { outcomes.baseAddress!.deinitialize(count: pending) }
        outcomes.deallocate()
    }

    /// Adds the outcome of the next item of the run.
    mutating func add(_ outcome: Outcome<J.Output>) {
        (outcomes.baseAddress! + pending).initialize(to: outcome)
        pending += 1
        let now = monotonicSeconds()
        guard first + pending == end || now - start >= BatchPace.targetSeconds else { return }
        pace.record(items: pending, seconds: now - start)
        core.finish(first..<first + pending, taking: UnsafeMutableBufferPointer(rebasing: outcomes[0..<pending]), seconds: (now - start) / Double(pending))
        first += pending
        pending = 0
        start = now
    }
}
