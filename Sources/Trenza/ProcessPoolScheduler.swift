/// The scheduling decisions of a ``ProcessPool`` as a pure state machine: which worker slot to
/// start, which chunk of which batch to send where and how big, what to do when a worker dies,
/// times out or has run its share, and when a batch is cancelled.
///
/// It performs no I/O and reads no clock: each slot's thread reports what happened (with the
/// time) and asks what to do next; the answer is an action the thread carries out. That keeps
/// every rule here testable without processes.
struct ProcessPoolScheduler {
    /// A run of consecutive items of one batch.
    struct Chunk: Equatable, Sendable {
        var batch: Int
        var items: Range<Int>
    }

    /// What a slot's thread does next.
    enum SlotAction: Equatable {
        /// Start a worker process for the slot.
        case spawn
        /// Send these chunks (in one write) to the slot's worker; each may be cut shorter by the
        /// sender's byte budget, which it then reports with ``shortened(slot:chunk:sent:)``.
        case send([Chunk])
        /// Wait for the reply to the oldest chunk in flight, until `deadline` when there is one.
        case awaitReply(deadline: Double?)
        /// Nothing to do: wait to be woken.
        case idle
        /// Stop the slot's worker: it has run its share of items (recycling) or the pool is done.
        case retire
        /// Kill the slot's worker now (its batch was cancelled); then report ``workerDied``.
        case kill
        /// The pool has shut down and the slot has no worker: the thread ends.
        case exit
    }

    /// What the pool must do for items that will not run (again).
    enum Effect: Equatable {
        case fail(Chunk, ItemFailure.Kind, String)
        /// Slots whose threads must be woken to look at new work.
        case wake([Int])
        /// A slot was given up because the system refused its worker: the pool now runs on at
        /// most `slots` workers, and the caller should hear why.
        case narrowed(slots: Int, width: Int, reason: String)
    }

    struct Configuration: Equatable {
        var width: Int
        /// Retire a worker after it has run this many items (`maxtasksperchild`).
        var maxItemsPerWorker: Int?
        /// A chunk aims to keep its worker busy this long: long enough that a round trip is a
        /// small part of it, short enough that the last chunks spread evenly.
        var targetChunkSeconds = 0.004
        var maximumChunk = 100_000
    }

    private enum WorkerState: Equatable {
        case none
        case starting
        case ready(pid: Int32)
        /// The system refused to start a worker here (process or descriptor limits).
        case unavailable
    }

    private struct Slot {
        var worker = WorkerState.none
        var inFlight: [Chunk] = []
        /// When the oldest chunk in flight started (it was sent, or the one before it replied).
        var headStarted = 0.0
        var itemsRun = 0
        var killRequested = false
        var idle = false
    }

    private struct Batch {
        var job: Int
        /// A fixed chunk size, or `nil` for automatic.
        var chunkSize: Int?
        /// The longest one item may run; `nil` waits for ever.
        var timeout: Double?
        var cancelled = false
        /// Items waiting in the queue.
        var queued = 0
    }

    /// Per job (by the pool's job number): smoothed seconds per item and the last chunk size.
    private struct Sizing {
        var secondsPerItem: Double?
        var lastChunk = 0
    }

    let configuration: Configuration
    private var slots: [Slot]
    private var batches: [Int: Batch] = [:]
    private var sizing: [Int: Sizing] = [:]
    /// Work not yet sent, oldest first; re-queued work goes to the front.
    private var queue: [Chunk] = []
    private var queueHead = 0
    private(set) var isShutDown = false
    /// Workers that failed to start in a row with none running: then the work cannot run.
    private var startFailures = 0

    init(configuration: Configuration) {
        precondition(configuration.width > 0)
        self.configuration = configuration
        slots = Array(repeating: Slot(), count: configuration.width)
    }

    // MARK: Work coming in

    mutating func addBatch(_ id: Int, job: Int, chunkSize: Int?, timeout: Double? = nil) {
        batches[id] = Batch(job: job, chunkSize: chunkSize.map { max(1, $0) }, timeout: timeout)
    }

    /// Queues `items` of `batch` (appending to its last queued run when they follow on).
    mutating func enqueue(batch: Int, items: Range<Int>) -> [Effect] {
        guard !items.isEmpty, var info = batches[batch] else { return [] }
        if info.cancelled { return [.fail(Chunk(batch: batch, items: items), .cancelled, "cancelled")] }
        if isShutDown { return [.fail(Chunk(batch: batch, items: items), .cancelled, "the pool was shut down")] }
        if queue.count > queueHead, queue[queue.count - 1].batch == batch, queue[queue.count - 1].items.upperBound == items.lowerBound {
            queue[queue.count - 1].items = queue[queue.count - 1].items.lowerBound..<items.upperBound
        } else {
            queue.append(Chunk(batch: batch, items: items))
        }
        info.queued += items.count
        batches[batch] = info
        if slots.allSatisfy({ $0.worker == .unavailable }) {
            return failUnrunnable(message: "no worker process could be started")
        }
        return wakeIdle()
    }

    /// Forgets a batch whose items have all been answered.
    mutating func removeBatch(_ id: Int) { batches[id] = nil }

    /// Cancels a batch: its queued items fail; workers running its chunks are killed.
    mutating func cancel(batch id: Int) -> [Effect] {
        guard var info = batches[id], !info.cancelled else { return [] }
        info.cancelled = true
        batches[id] = info
        var effects: [Effect] = []
        var kept: [Chunk] = []
        for chunk in queue[queueHead...] {
            if chunk.batch == id { effects.append(.fail(chunk, .cancelled, "cancelled")) } else { kept.append(chunk) }
        }
        queue = kept
        queueHead = 0
        batches[id]?.queued = 0
        var toWake: [Int] = []
        for number in slots.indices where slots[number].inFlight.contains(where: { $0.batch == id }) {
            slots[number].killRequested = true
            toWake.append(number)
        }
        if !toWake.isEmpty { effects.append(.wake(toWake)) }
        return effects
    }

    /// No more work: queued items fail; each slot retires its worker and its thread ends.
    mutating func shutDown() -> [Effect] {
        isShutDown = true
        var effects: [Effect] = queue[queueHead...].map { .fail($0, .cancelled, "the pool was shut down") }
        queue.removeAll()
        queueHead = 0
        effects.append(.wake(Array(slots.indices)))
        return effects
    }

    // MARK: A slot's thread asks

    /// The next thing slot `number` should do, at time `now`.
    mutating func next(slot number: Int, now: Double) -> SlotAction {
        var slot = slots[number]
        defer { slots[number] = slot }
        slot.idle = false
        switch slot.worker {
        case .unavailable:
            return isShutDown ? .exit : .idle
        case .starting:
            preconditionFailure("a slot's thread asked for work while its worker was starting")
        case .none:
            if isShutDown { return .exit }
            if hasQueuedWork {
                slot.worker = .starting
                return .spawn
            }
            slot.idle = true
            return .idle
        case .ready:
            if slot.killRequested { return .kill }
            if let limit = configuration.maxItemsPerWorker, slot.itemsRun >= limit, slot.inFlight.isEmpty {
                return .retire
            }
            if isShutDown && slot.inFlight.isEmpty && !hasQueuedWork { return .retire }
            var outgoing: [Chunk] = []
            // A worker due for recycling gets no more than its remaining share of items.
            var allowance = configuration.maxItemsPerWorker.map { $0 - slot.itemsRun - slot.inFlight.reduce(0) { $0 + $1.items.count } } ?? Int.max
            while allowance > 0, slot.inFlight.count + outgoing.count < pipelineDepth(for: slot),
                  let chunk = takeChunk(for: slot, limit: allowance) {
                outgoing.append(chunk)
                allowance -= chunk.items.count
            }
            if !outgoing.isEmpty {
                if slot.inFlight.isEmpty { slot.headStarted = now }
                slot.inFlight += outgoing
                return .send(outgoing)
            }
            if let head = slot.inFlight.first {
                let deadline = batches[head.batch]?.timeout.map { slot.headStarted + $0 * Double(head.items.count) }
                return .awaitReply(deadline: deadline)
            }
            slot.idle = true
            return .idle
        }
    }

    // MARK: A slot's thread reports

    mutating func workerStarted(slot number: Int, pid: Int32) {
        slots[number].worker = .ready(pid: pid)
        slots[number].itemsRun = 0
        startFailures = 0
    }

    /// The system refused a worker. With others running, the slot is given up and the pool
    /// carries on narrower; with none, queued work fails with `message` after a few tries.
    mutating func workerFailedToStart(slot number: Int, message: String, limitReached: Bool) -> [Effect] {
        let othersRunning = slots.indices.contains { $0 != number && isRunning(slots[$0].worker) }
        if limitReached && othersRunning {
            slots[number].worker = .unavailable
            return [.narrowed(slots: configuration.width - unavailableSlots, width: configuration.width, reason: message)]
        }
        slots[number].worker = .none
        startFailures += 1
        if limitReached || startFailures >= 3 {
            if !othersRunning {
                if limitReached { slots[number].worker = .unavailable }
                return failUnrunnable(message: message)
            }
        }
        return []
    }

    /// The sender cut a chunk short (byte budget): the rest goes back to the front of the queue.
    mutating func shortened(slot number: Int, chunk: Chunk, sent: Int) -> [Effect] {
        guard let position = slots[number].inFlight.firstIndex(of: chunk), sent < chunk.items.count else { return [] }
        let cut = chunk.items.lowerBound + sent
        if sent == 0 {
            slots[number].inFlight.remove(at: position)
        } else {
            slots[number].inFlight[position].items = chunk.items.lowerBound..<cut
        }
        requeueFront(Chunk(batch: chunk.batch, items: cut..<chunk.items.upperBound), merging: true)
        return wakeIdle()
    }

    /// The oldest chunk in flight on the slot was answered at `now`.
    mutating func chunkAnswered(slot number: Int, now: Double) -> [Effect] {
        var slot = slots[number]
        guard !slot.inFlight.isEmpty else { return [] }
        let head = slot.inFlight.removeFirst()
        let seconds = max(now - slot.headStarted, 0) / Double(head.items.count)
        slot.headStarted = now
        slot.itemsRun += head.items.count
        slots[number] = slot
        if let job = batches[head.batch]?.job {
            var size = sizing[job] ?? Sizing()
            size.secondsPerItem = size.secondsPerItem.map { 0.7 * $0 + 0.3 * seconds } ?? seconds
            sizing[job] = size
        }
        return []
    }

    /// The slot's worker ended: `reason` says how ("was killed by signal 11 (SIGSEGV)…").
    /// The chunk it was running is blamed — a single item fails, a larger chunk is re-run one
    /// item at a time to find the culprit; chunks it had not started go back to the queue.
    mutating func workerDied(slot number: Int, reason: String, kind: ItemFailure.Kind) -> [Effect] {
        var slot = slots[number]
        let inFlight = slot.inFlight
        let killed = slot.killRequested
        slot = Slot()
        slots[number] = slot
        var effects: [Effect] = []
        guard let head = inFlight.first else { return wakeIdle() }
        // Front of the queue in their original order: later chunks first, so they end up behind.
        for chunk in inFlight.dropFirst().reversed() where !(batches[chunk.batch]?.cancelled ?? true) {
            requeueFront(chunk)
        }
        for chunk in inFlight.dropFirst() where batches[chunk.batch]?.cancelled ?? true {
            effects.append(.fail(chunk, .cancelled, "cancelled"))
        }
        let headCancelled = batches[head.batch]?.cancelled ?? true
        if headCancelled {
            effects.append(.fail(head, .cancelled, "cancelled"))
        } else if killed {
            // Killed for another batch's cancellation: this chunk did nothing wrong.
            requeueFront(head)
        } else if head.items.count == 1 || kind == .timedOut {
            effects.append(.fail(head, kind, reason))
        } else {
            for item in head.items.reversed() { requeueFront(Chunk(batch: head.batch, items: item..<item + 1)) }
        }
        return effects + wakeIdle()
    }

    /// The slot's worker was retired (or exited cleanly) with nothing in flight.
    mutating func workerRetired(slot number: Int) -> [Effect] {
        let inFlight = slots[number].inFlight
        slots[number] = Slot()
        for chunk in inFlight.reversed() { requeueFront(chunk) }
        return hasQueuedWork ? wakeIdle() + [.wake([number])] : []
    }

    // MARK: Inspection

    var hasQueuedWork: Bool { queue.count > queueHead }

    /// Process ids of the workers running now.
    var workerPIDs: [Int32] {
        slots.compactMap { if case .ready(let pid) = $0.worker { pid } else { nil } }
    }

    var unavailableSlots: Int { slots.filter { $0.worker == .unavailable }.count }

    func inFlight(slot number: Int) -> [Chunk] { slots[number].inFlight }

    /// Seconds per item of the oldest chunk in flight, if it is answered at `now`.
    func headSeconds(slot number: Int, now: Double) -> Double {
        guard let head = slots[number].inFlight.first else { return 0 }
        return max(now - slots[number].headStarted, 0) / Double(head.items.count)
    }

    /// The per-item timeout of the batch whose chunk the slot is running.
    func timeoutOfHead(slot number: Int) -> Double? {
        slots[number].inFlight.first.flatMap { batches[$0.batch]?.timeout }
    }

    func secondsPerItem(job: Int) -> Double? { sizing[job]?.secondsPerItem }

    // MARK: Rules

    private func isRunning(_ state: WorkerState) -> Bool {
        if case .ready = state { return true }
        return state == .starting
    }

    /// Chunks queued at a worker at once: two for short items (it never waits for a round trip
    /// between chunks), one for long ones (an idle worker should not watch another's queue).
    private func pipelineDepth(for slot: Slot) -> Int {
        guard let chunk = slot.inFlight.first ?? (hasQueuedWork ? queue[queueHead] : nil),
              let job = batches[chunk.batch]?.job,
              let perItem = sizing[job]?.secondsPerItem else { return 1 }
        return perItem * Double(max(1, sizing[job]?.lastChunk ?? 1)) > 0.05 ? 1 : 2
    }

    /// Cuts the next chunk off the front of the queue, sized for its job.
    private mutating func takeChunk(for slot: Slot, limit: Int) -> Chunk? {
        while hasQueuedWork, batches[queue[queueHead].batch]?.cancelled ?? true {
            queueHead += 1
        }
        guard hasQueuedWork else { return nil }
        let front = queue[queueHead]
        guard var info = batches[front.batch] else { return nil }
        let size = min(front.items.count, chunkSize(for: info), limit)
        let chunk = Chunk(batch: front.batch, items: front.items.lowerBound..<front.items.lowerBound + size)
        if size == front.items.count {
            queueHead += 1
            if queueHead > 256 && queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
        } else {
            queue[queueHead].items = chunk.items.upperBound..<front.items.upperBound
        }
        info.queued -= size
        batches[front.batch] = info
        sizing[info.job, default: Sizing()].lastChunk = max(size, sizing[info.job]?.lastChunk ?? 0)
        return chunk
    }

    /// A fixed size when the batch asked for one; otherwise enough items to fill
    /// ``Configuration/targetChunkSeconds`` at the measured pace, growing at most eightfold per
    /// chunk from a first chunk of one (so a first slow item is not followed by a huge chunk).
    /// Chunks of a few milliseconds also spread the end of a batch evenly: no worker is left
    /// with more than one such chunk when the others run out.
    private func chunkSize(for info: Batch) -> Int {
        if let fixed = info.chunkSize { return fixed }
        let size = sizing[info.job] ?? Sizing()
        guard let perItem = size.secondsPerItem else { return 1 }
        let wanted = Int((configuration.targetChunkSeconds / max(perItem, 1e-9)).rounded(.down))
        return max(1, min(wanted, max(1, size.lastChunk) * 8, configuration.maximumChunk))
    }

    /// Puts work back at the front of the queue; `merging` joins it to a following run of the
    /// same batch (never for the single items of a chunk being searched for a culprit).
    private mutating func requeueFront(_ chunk: Chunk, merging: Bool = false) {
        guard !chunk.items.isEmpty, batches[chunk.batch] != nil else { return }
        batches[chunk.batch]?.queued += chunk.items.count
        if merging, hasQueuedWork, queue[queueHead].batch == chunk.batch, queue[queueHead].items.lowerBound == chunk.items.upperBound {
            queue[queueHead].items = chunk.items.lowerBound..<queue[queueHead].items.upperBound
            return
        }
        if queueHead > 0 {
            queueHead -= 1
            queue[queueHead] = chunk
        } else {
            queue.insert(chunk, at: 0)
        }
    }

    private mutating func wakeIdle() -> [Effect] {
        guard hasQueuedWork else { return [] }
        let idle = slots.indices.filter { slots[$0].idle || slots[$0].worker == .none }
        for number in idle { slots[number].idle = false }
        return idle.isEmpty ? [] : [.wake(idle)]
    }

    /// Fails everything queued: no worker can run it.
    private mutating func failUnrunnable(message: String) -> [Effect] {
        let effects: [Effect] = queue[queueHead...].map { .fail($0, .workerCrashed, message) }
        for chunk in queue[queueHead...] { batches[chunk.batch]?.queued -= chunk.items.count }
        queue.removeAll()
        queueHead = 0
        return effects
    }
}
