import Synchronization

/// Hands out consecutive runs of a range of items to the threads working on it: guided
/// scheduling (a share of what is left, so the last runs are small) capped by the measured
/// pace, so that a run is about a millisecond of work.
final class ThreadRuns: Sendable {
    private let state: Mutex<(next: Int, end: Int)>
    private let width: Int
    private let pace: BatchPace

    init(items: Range<Int>, width: Int, pace: BatchPace) {
        state = Mutex((items.lowerBound, items.upperBound))
        self.width = width
        self.pace = pace
    }

    func next() -> Range<Int>? {
        state.withLock { state -> Range<Int>? in
            let remaining = state.end - state.next
            guard remaining > 0 else { return nil }
            let size = pace.runSize(remaining: remaining, width: width)
            defer { state.next += size }
            return state.next..<(state.next + size)
        }
    }
}
