import Synchronization

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
