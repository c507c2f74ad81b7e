import Synchronization

/// One batch of a job on an engine — a `map`, a `stream` or a single `submit` — as the engines
/// see it: inputs by index, and a place to put outcomes, a chunk at a time.
///
/// The front end (``Pool``) owns it: it adds inputs (all at once, or as they are pulled from an
/// async sequence), and receives every outcome exactly once through `deliver`.
final class BatchCore<J: Job>: Sendable {
    let job: J
    let onEvent: ProgressHandler?
    /// Outcomes as they arrive, a chunk at a time, in no particular order.
    let deliver: @Sendable ([(index: Int, outcome: Outcome<J.Output>)]) -> Void
    private let inputs: Mutex<InputWindow<J.Input>>

    init(job: J, onEvent: ProgressHandler?, deliver: @escaping @Sendable ([(index: Int, outcome: Outcome<J.Output>)]) -> Void) {
        self.job = job
        self.onEvent = onEvent
        self.deliver = deliver
        self.inputs = Mutex(InputWindow())
    }

    /// Adds inputs; returns the indices they got.
    func append(contentsOf more: [J.Input]) -> Range<Int> {
        inputs.withLock { $0.append(contentsOf: more) }
    }

    /// How many inputs have been added.
    var inputCount: Int { inputs.withLock { $0.count } }

    /// The inputs at `items` (each read once, by the engine that runs it).
    func inputs(_ items: Range<Int>) -> [J.Input] {
        inputs.withLock { $0.read(items) }
    }

    /// Reports `outcomes` of `items` (in order), with progress events, and frees their inputs.
    func finish(_ items: Range<Int>, _ outcomes: [Outcome<J.Output>], seconds: Double) {
        inputs.withLock { $0.release(items) }
        if let onEvent {
            for (offset, outcome) in outcomes.enumerated() {
                switch outcome {
                case .success: onEvent(.succeeded(index: items.lowerBound + offset, seconds: seconds))
                case .failure(let failure): onEvent(.failed(failure))
                }
            }
        }
        deliver(zip(items, outcomes).map { (index: $0.0, outcome: $0.1) })
    }

    /// Fails every item of `items` with the same cause.
    func fail(_ items: Range<Int>, kind: ItemFailure.Kind, message: String) {
        finish(items, items.map { .failure(ItemFailure(index: $0, kind: kind, message: message)) }, seconds: 0)
    }

    func started(_ items: Range<Int>) {
        guard let onEvent else { return }
        for index in items { onEvent(.started(index: index)) }
    }
}

/// Inputs of a batch by index, from the first not yet answered to the last added: a stream's
/// memory stays proportional to what is in flight, not to how many inputs went by.
struct InputWindow<Input> {
    private var base = 0
    private var storage: [Input?] = []
    private var head = 0
    private(set) var count = 0

    mutating func append(contentsOf more: [Input]) -> Range<Int> {
        let start = count
        storage.reserveCapacity(storage.count + more.count)
        for input in more { storage.append(input) }
        count += more.count
        return start..<count
    }

    func read(_ items: Range<Int>) -> [Input] {
        items.map { storage[$0 - base + head]! }
    }

    /// Forgets answered inputs; the storage shrinks once its front is all answered.
    mutating func release(_ items: Range<Int>) {
        for index in items where index >= base { storage[index - base + head] = nil }
        while head < storage.count, storage[head] == nil {
            head += 1
            base += 1
        }
        if head > 4096 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }
}
