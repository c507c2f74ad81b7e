import Synchronization

/// A map's outcomes, moved straight into their places as chunks arrive and handed over as one
/// array at the end: no copy per item, and no per-chunk arrays to gather.
final class OutcomeRuns<Output: Sendable>: @unchecked Sendable {
    let count: Int
    /// `count` slots; the ones marked in `filled` are initialized. A delivery claims its slots
    /// in `filled` under the lock and then writes them outside it: no two write the same slot.
    private let storage: UnsafeMutablePointer<Outcome<Output>>
    private let filled: Mutex<FilledSet>
    /// Set by ``values()``, after which the slots belong to the returned array.
    private var handedOver = false

    init(count: Int) {
        self.count = count
        storage = .allocate(capacity: count)
        filled = Mutex(FilledSet(count: count))
    }

    deinit {
        if !handedOver {
            let set = filled.withLock { $0 }
            for index in 0..<count where set.contains(index) { (storage + index).deinitialize(count: 1) }
        }
        storage.deallocate()
    }

    /// Takes the outcomes of items `first..<first + outcomes.count`; outcomes for items that
    /// already have one (which the engines never send) are dropped.
    func add(_ first: Int, _ outcomes: UnsafeMutableBufferPointer<Outcome<Output>>) {
        guard let source = outcomes.baseAddress, !outcomes.isEmpty else { return }
        let items = first..<(first + outcomes.count)
        let fresh = filled.withLock { $0.insert(items) }
        if fresh {
            (storage + first).moveInitialize(from: source, count: outcomes.count)
        } else {
            source.deinitialize(count: outcomes.count)
        }
    }

    /// All outcomes in input order; an item nobody answered counts as cancelled. Call once, when
    /// no more outcomes can arrive.
    func values() -> [Outcome<Output>] {
        let set = filled.withLock { $0 }
        if set.filledCount < count {
            for index in 0..<count where !set.contains(index) {
                (storage + index).initialize(to: .failure(ItemFailure(index: index, kind: .cancelled, message: "cancelled before it ran")))
            }
        }
        handedOver = true
        return UnsafeMutableBufferPointer(start: storage, count: count).moveToArray()
    }
}
