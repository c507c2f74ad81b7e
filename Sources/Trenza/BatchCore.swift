import Synchronization

/// One batch of a job on an engine — a `map`, a `stream` or a single `submit` — as the engines
/// see it: inputs by index, and a place to put outcomes, a chunk at a time.
///
/// The front end (``Pool``) owns it: it adds inputs (all at once, or as they are pulled from an
/// async sequence), and receives every outcome exactly once through `deliver`.
final class BatchCore<J: Job>: Sendable {
    let job: J
    let onEvent: ProgressHandler?
    /// Outcomes as they arrive, a chunk at a time (the index of the first, then the outcomes of
    /// consecutive items), in no particular order. Whole chunks, not an element at a time: this
    /// code is generic over the caller's job and runs unspecialised, so per-item work is dear.
    /// The receiver takes the outcomes: it must move out (or deinitialize) every element before
    /// returning, and the sender frees the memory. Moving, not copying, because a generic copy of
    /// each outcome was a tenth of the time of a map of tiny items.
    let deliver: @Sendable (_ first: Int, _ outcomes: UnsafeMutableBufferPointer<Outcome<J.Output>>) -> Void
    private let inputs: Mutex<InputWindow<J.Input>>

    init(job: J, onEvent: ProgressHandler?, deliver: @escaping @Sendable (_ first: Int, _ outcomes: UnsafeMutableBufferPointer<Outcome<J.Output>>) -> Void) {
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
        let taken = UnsafeMutableBufferPointer<Outcome<J.Output>>.allocate(capacity: outcomes.count)
        _ = taken.initialize(from: outcomes)
        finish(items, taking: taken, seconds: seconds)
        taken.deallocate()
    }

    /// Reports `outcomes` of `items` (in order, all initialized), with progress events, and frees
    /// their inputs. Leaves `outcomes` uninitialized; the caller frees its memory.
    func finish(_ items: Range<Int>, taking outcomes: UnsafeMutableBufferPointer<Outcome<J.Output>>, seconds: Double) {
        inputs.withLock { $0.release(items) }
        if let onEvent {
            let duration = Duration.seconds(seconds)
            for offset in outcomes.indices {
                switch outcomes[offset] {
                case .success: onEvent(.succeeded(index: items.lowerBound + offset, duration: duration))
                case .failure(let failure): onEvent(.failed(failure))
                }
            }
        }
        deliver(items.lowerBound, outcomes)
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
    /// Index of `storage[head]`.
    private var base = 0
    private var storage: [Input] = []
    private var head = 0
    private(set) var count = 0
    /// Answered runs not yet at the front, by first index.
    private var answered: [Int: Int] = [:]

    mutating func append(contentsOf more: [Input]) -> Range<Int> {
        let start = count
        storage.append(contentsOf: more)
        count += more.count
        return start..<count
    }

    func read(_ items: Range<Int>) -> [Input] {
        Array(storage[(items.lowerBound - base + head)..<(items.upperBound - base + head)])
    }

    /// Forgets answered inputs once everything before them is answered too.
    mutating func release(_ items: Range<Int>) {
        guard items.lowerBound >= base, !items.isEmpty else { return }
        answered[items.lowerBound] = items.upperBound
        while let end = answered.removeValue(forKey: base) {
            head += end - base
            base = end
        }
        if head > 4096 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }
}

extension UnsafeMutableBufferPointer {
    /// Moves every element into a new array, leaving this buffer uninitialized.
    func moveToArray() -> [Element] {
        guard let base = baseAddress, count > 0 else { return [] }
        return Array(unsafeUninitializedCapacity: count) { destination, initialized in
            destination.baseAddress!.moveInitialize(from: base, count: count)
            initialized = count
        }
    }
}
