import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A pool of worker processes that run registered ``Job``s: Python's `multiprocessing.Pool` for
/// Swift, with crash isolation.
///
/// Each worker is a separate process (by default this very executable, re-run), so CPU work runs
/// in parallel and a crash, leak or hung C call costs one item, never the batch:
/// - a worker that dies (signal, `exit`, garbage on its pipe) fails exactly the item it was
///   running, with a message naming the signal or exit status; a fresh worker replaces it;
/// - with a per-item `timeout`, a hung worker is killed and replaced and its item fails;
/// - workers are reaped as they end (no zombies) and exit by themselves within a tenth of a second
///   when this process ends for any reason, including `SIGKILL` (no orphans).
///
/// Inputs and outputs travel as length-prefixed frames over each worker's stdin/stdout. The
/// executable must call ``Worker/serveIfRequested(_:)`` at the top of `main` with a registry that
/// knows the job.
///
/// ```swift
/// struct Fibonacci: Job {
///     static let name = "example.fibonacci"
///     func run(_ n: Int) -> Int { n < 2 ? n : run(n - 1) + run(n - 2) }
/// }
///
/// @main struct Tool {
///     static func main() async throws {
///         var jobs = JobRegistry.builtIn
///         jobs.register(Fibonacci())
///         Worker.serveIfRequested(jobs)          // returns at once unless we are a worker
///
///         let pool = try ProcessPool(width: 4)   // workers re-run this executable
///         defer { pool.shutdown() }
///         let outcomes = await pool.map(Fibonacci(), [30, 31, 32, 33], timeout: .seconds(10))
///         for case .success(let value) in outcomes { print(value) }
///     }
/// }
/// ```
///
/// The pool keeps its workers between calls to ``map(_:_:timeout:chunkSize:onEvent:)``, so start-up
/// is paid once. Concurrent `map` calls share the workers.
public final class ProcessPool: Sendable {
    /// How many worker processes run at once.
    public let width: Int
    let launch: WorkerLaunch
    private let slots: Mutex<[WorkerProcess?]>
    private let freeSlots = SlotBank()

    /// The path of the running executable, the default worker.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Creates a pool of `width` workers, started lazily on first use.
    ///
    /// - Parameters:
    ///   - executable: a program that calls ``Worker/serveIfRequested(_:)`` at the top of `main`;
    ///     by default this process's own executable.
    ///   - arguments: passed to the workers (the `trenza` tool uses `["worker"]`).
    /// - Throws: ``WorkerStartError`` when `width` is not positive or the executable is missing.
    public init(width: Int, executable: String? = nil, arguments: [String] = ["worker"]) throws(WorkerStartError) {
        guard width > 0 else { throw .init("a process pool needs at least one worker (width \(width))") }
        let path = executable ?? Self.currentExecutable
        guard access(path, X_OK) == 0 else {
            throw .init("worker executable \(path) is not an executable file: \(String(cString: strerror(errno)))")
        }
        // Writing to a worker that just died must be an error to handle, not a signal that ends us.
        signal(SIGPIPE, SIG_IGN)
        self.width = width
        self.launch = WorkerLaunch(executable: path, arguments: arguments)
        self.slots = Mutex(Array(repeating: nil, count: width))
        freeSlots.reset(count: width)
    }

    deinit {
        shutdown()
    }

    /// The process ids of the workers alive right now.
    public var workerProcessIDs: [Int32] {
        slots.withLock { $0.compactMap { $0?.pid } }
    }

    /// Closes every worker's stdin, gives them `grace` seconds to exit, kills the rest and reaps all.
    /// The pool starts fresh workers if it is used again.
    public func shutdown(grace: Duration = .seconds(2)) {
        let workers = slots.withLock { slots in
            defer { slots = Array(repeating: nil, count: slots.count) }
            return slots.compactMap { $0 }
        }
        for worker in workers { worker.stop(grace: grace.seconds) }
    }

    /// Runs `job` over `inputs` on the workers and returns one outcome per input, in input order.
    ///
    /// - Parameters:
    ///   - timeout: the longest one item may run; its worker is then killed and replaced and the
    ///     item fails as ``ItemFailure/Kind-swift.enum/timedOut``.
    ///   - chunkSize: inputs sent per message. Larger chunks amortise the per-message cost of tiny
    ///     jobs; if a worker dies inside a chunk, the chunk's items are re-run one by one so the
    ///     failure still lands on exactly the item that caused it.
    ///   - onEvent: progress, called from the pool's threads.
    /// Cancelling the calling task kills the busy workers; unfinished items fail as cancelled.
    public func map<J: Job>(
        _ job: J, _ inputs: [J.Input],
        timeout: Duration? = nil, chunkSize: Int = 1,
        onEvent: ProgressHandler? = nil
    ) async -> [Outcome<J.Output>] {
        if inputs.isEmpty { return [] }
        let batch = ProcessBatch<J>(
            inputs: inputs, chunkSize: max(1, chunkSize),
            timeout: timeout?.seconds, onEvent: onEvent)
        let drivers = min(width, (inputs.count + batch.chunkSize - 1) / batch.chunkSize)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = Countdown(drivers, then: continuation)
                for number in 0..<drivers {
                    let thread = Thread { [self] in
                        ThreadName.set("trenza-drv-\(number)")
                        drive(batch)
                        done.arrive()
                    }
                    thread.start()
                }
            }
        } onCancel: {
            // Busy workers may be deep in a job: end them now; their drivers reap them.
            for pid in batch.cancel() { Glibc.kill(pid, SIGKILL) }
        }
        return batch.outcomes()
    }

    /// One driver thread: borrows a worker slot and feeds it chunks until the batch is drained.
    private func drive<J: Job>(_ batch: ProcessBatch<J>) {
        let slot = freeSlots.acquire()
        defer { freeSlots.release(slot) }
        var worker = slots.withLock { slots in
            defer { slots[slot] = nil }
            return slots[slot]
        }
        defer {
            batch.setIdle(slot)
            slots.withLock { $0[slot] = worker }
        }
        /// Chunks sent to the current worker and not yet answered, oldest first.
        var inFlight: [(indices: [Int], frameSize: Int)] = []
        var inFlightBytes = 0
        var headStarted = monotonicSeconds()

        /// Seconds per item, smoothed over replies: how deep to pipeline.
        var secondsPerItem: Double?
        /// Chunks queued at the worker at once. Tiny items need many, or the worker waits on a
        /// round trip between each; long ones need one, or an idle worker could watch another
        /// worker's queue at the end of a batch.
        func pipelineDepth() -> Int {
            guard let secondsPerItem else { return 2 }
            if secondsPerItem > 0.005 { return 1 }
            let perChunk = secondsPerItem * Double(batch.chunkSize)
            return max(1, min(64, Int((0.001 / max(perChunk, 1e-7)).rounded(.up))))
        }

        /// Deaths in a row with no reply in between: a worker that dies on start-up must not
        /// make the batch spin forever.
        var deathsWithoutProgress = 0

        func dropWorker() {
            batch.setIdle(slot)
            worker = nil
            deathsWithoutProgress += 1
            for chunk in inFlight.reversed() { batch.requeue(chunk.indices) }
            inFlight.removeAll()
            inFlightBytes = 0
        }

        while true {
            // Keep enough chunks queued at the worker that it never waits for us between them;
            // the new ones go out in a single write, so the worker wakes once for all of them.
            var outgoing: [UInt8] = []
            var newChunks: [(indices: [Int], frameSize: Int)] = []
            while inFlight.count + newChunks.count < pipelineDepth(), !batch.isCancelled {
                if worker == nil {
                    do {
                        worker = try WorkerProcess.spawn(launch)
                    } catch {
                        batch.failAllRemaining(kind: .workerCrashed, message: error.message)
                        return
                    }
                }
                guard let indices = batch.nextChunk(slot: slot, worker: worker!.pid) else { break }
                var request = Wire.FrameBuilder(request: J.name)
                var sendable: [Int] = []
                sendable.reserveCapacity(indices.count)
                for index in indices {
                    do {
                        try request.append { encoder in try encoder.encodeValue(batch.inputs[index], codingPath: []) }
                        sendable.append(index)
                    } catch {
                        batch.finish(index, .failure(ItemFailure(index: index, kind: .protocolError, message: "cannot encode input: \(error)")))
                    }
                }
                if sendable.isEmpty { continue }
                let frame = request.finish()
                // Never more unread bytes than the request pipe holds: then a write never blocks,
                // and a worker blocked writing its reply can never deadlock against us.
                let queuedBytes = inFlightBytes + outgoing.count
                if queuedBytes > 0 && queuedBytes + frame.count > worker!.requestCapacity {
                    batch.requeue(sendable)
                    break
                }
                outgoing.append(contentsOf: frame)
                newChunks.append((sendable, frame.count))
            }
            if !newChunks.isEmpty, let current = worker {
                do {
                    try current.send(outgoing)
                    if inFlight.isEmpty { headStarted = monotonicSeconds() }
                    for chunk in newChunks {
                        for index in chunk.indices { batch.emit(.started(index: index)) }
                        inFlight.append(chunk)
                        inFlightBytes += chunk.frameSize
                    }
                } catch {
                    // The worker died before reading these chunks: none of them ran.
                    let death = current.kill(signal: SIGKILL)
                    if deathsWithoutProgress >= 3 {
                        for index in newChunks.flatMap(\.indices) {
                            batch.finish(index, .failure(ItemFailure(index: index, kind: .workerCrashed, message: "worker processes keep dying before reading their input; the last one \(death)")))
                        }
                    } else {
                        // Front of the queue, in their original order.
                        for chunk in newChunks.reversed() { batch.requeue(chunk.indices) }
                    }
                    attributeDeath(batch, inFlight: &inFlight, message: "worker process \(current.pid) \(death)", kind: .workerCrashed)
                    dropWorker()
                    continue
                }
            }
            if batch.isCancelled {
                if let w = worker, !inFlight.isEmpty {
                    w.kill(signal: SIGKILL)
                    for chunk in inFlight { batch.failCancelled(chunk.indices) }
                    inFlight.removeAll()
                    worker = nil
                }
                batch.drainCancelled()
                return
            }
            guard let head = inFlight.first, let current = worker else { return }

            let deadline = batch.timeout.map { headStarted + $0 * Double(head.indices.count) }
            do {
                let payload = try current.receive(deadline: deadline)
                let now = monotonicSeconds()
                let seconds = (now - headStarted) / Double(head.indices.count)
                secondsPerItem = secondsPerItem.map { 0.8 * $0 + 0.2 * seconds } ?? seconds
                headStarted = now
                deathsWithoutProgress = 0
                inFlight.removeFirst()
                inFlightBytes -= head.frameSize
                try deliver(payload, for: head.indices, seconds: seconds, batch: batch)
            } catch let error {
                let pid = current.pid
                let kind: ItemFailure.Kind
                let message: String
                switch error {
                case .timedOut:
                    current.kill(signal: SIGKILL)
                    kind = .timedOut
                    message = "timed out after \(formatSeconds(batch.timeout ?? 0)); worker process \(pid) was killed and replaced"
                case .endOfStream:
                    let death = current.kill(signal: SIGKILL)
                    kind = batch.isCancelled ? .cancelled : .workerCrashed
                    message = batch.isCancelled ? "cancelled" : "worker process \(pid) \(death)"
                case .malformed(let detail):
                    let death = current.kill(signal: SIGKILL)
                    kind = .workerCrashed
                    message = "worker process \(pid) sent a malformed reply (\(detail)) and was killed; it then \(death)"
                case .system(let detail):
                    current.kill(signal: SIGKILL)
                    kind = .workerCrashed
                    message = "lost worker process \(pid): \(detail)"
                }
                attributeDeath(batch, inFlight: &inFlight, message: message, kind: kind)
                dropWorker()
            }
        }
    }

    /// The head chunk was running when its worker died: a single item fails; a larger chunk is
    /// re-run one item at a time so the failure lands on the item that caused it. Later chunks
    /// never started and are re-queued by the caller.
    private func attributeDeath<J: Job>(_ batch: ProcessBatch<J>, inFlight: inout [(indices: [Int], frameSize: Int)], message: String, kind: ItemFailure.Kind) {
        guard let head = inFlight.first else { return }
        inFlight.removeFirst()
        if head.indices.count == 1 || kind == .cancelled {
            for index in head.indices {
                batch.finish(index, .failure(ItemFailure(index: index, kind: kind, message: message)))
            }
        } else {
            batch.requeueAsSingles(head.indices)
        }
    }

    private func deliver<J: Job>(_ payload: [UInt8], for indices: [Int], seconds: Double, batch: ProcessBatch<J>) throws(WireError) {
        var reader = Wire.PayloadReader(payload)
        let count = try reader.uint32()
        guard count == indices.count else { throw .malformed("\(count) results for \(indices.count) inputs") }
        var outcomes: [Outcome<J.Output>] = []
        outcomes.reserveCapacity(count)
        for index in indices {
            let status = try reader.uint8()
            let body = try reader.slice(try reader.uint32())
            switch Wire.Status(rawValue: status) {
            case .ok:
                do {
                    outcomes.append(.success(try BinaryCodec.decode(J.Output.self, from: body)))
                } catch {
                    outcomes.append(.failure(ItemFailure(index: index, kind: .protocolError, message: "cannot decode output: \(error)")))
                }
            case .jobError:
                outcomes.append(.failure(ItemFailure(index: index, kind: .jobError, message: String(decoding: body, as: UTF8.self))))
            case .protocolError:
                outcomes.append(.failure(ItemFailure(index: index, kind: .protocolError, message: String(decoding: body, as: UTF8.self))))
            case nil:
                throw .malformed("unknown result status \(status)")
            }
        }
        batch.finish(indices, outcomes, seconds: seconds)
    }
}

/// The shared state of one `map` call: the queue of chunks, the outcomes, the busy workers.
final class ProcessBatch<J: Job>: Sendable {
    let inputs: [J.Input]
    let chunkSize: Int
    let timeout: Double?
    let onEvent: ProgressHandler?

    private struct State {
        var next = 0
        /// Chunks to run before any new ones: work a dead worker never started, or a chunk being
        /// re-run item by item.
        var retry: [[Int]] = []
        var cancelled = false
        var busy: [Int: Int32] = [:]
    }
    private let state: Mutex<State>
    /// Written outside the lock: each item is finished by exactly one driver (see ``OutcomeSlots``).
    private let slots: OutcomeSlots<J.Output>

    init(inputs: [J.Input], chunkSize: Int, timeout: Double?, onEvent: ProgressHandler?) {
        self.inputs = inputs
        self.chunkSize = chunkSize
        self.timeout = timeout
        self.onEvent = onEvent
        self.state = Mutex(State())
        self.slots = OutcomeSlots(count: inputs.count)
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Hands out the next chunk for the worker `pid` in `slot`, or `nil` when there is none or
    /// the batch is cancelled. Recording the worker under the same lock as the hand-out means
    /// ``cancel()`` sees every worker that holds work.
    func nextChunk(slot: Int, worker pid: Int32) -> [Int]? {
        state.withLock { state in
            if state.cancelled { return nil }
            state.busy[slot] = pid
            if !state.retry.isEmpty { return state.retry.removeFirst() }
            guard state.next < inputs.count else { return nil }
            let end = min(inputs.count, state.next + chunkSize)
            defer { state.next = end }
            return Array(state.next..<end)
        }
    }

    func requeue(_ indices: [Int]) {
        guard !indices.isEmpty else { return }
        state.withLock { $0.retry.insert(indices, at: 0) }
    }

    func requeueAsSingles(_ indices: [Int]) {
        state.withLock { $0.retry.insert(contentsOf: indices.map { [$0] }, at: 0) }
    }

    func finish(_ index: Int, _ outcome: Outcome<J.Output>, seconds: Double = 0) {
        finish([index], [outcome], seconds: seconds)
    }

    /// Records a chunk's outcomes, then reports them.
    func finish(_ indices: [Int], _ outcomes: [Outcome<J.Output>], seconds: Double) {
        for position in indices.indices { slots.set(indices[position], outcomes[position]) }
        guard let onEvent else { return }
        for position in indices.indices {
            let index = indices[position]
            switch outcomes[position] {
            case .success: onEvent(.succeeded(index: index, seconds: seconds))
            case .failure(let failure): onEvent(.failed(failure))
            }
        }
    }

    func emit(_ event: ProgressEvent) { onEvent?(event) }

    /// Marks the batch cancelled and returns the workers that hold some of its work.
    func cancel() -> [Int32] {
        state.withLock { state in
            state.cancelled = true
            return Array(state.busy.values)
        }
    }

    func setIdle(_ slot: Int) { _ = state.withLock { $0.busy.removeValue(forKey: slot) } }

    func failCancelled(_ indices: [Int]) {
        for index in indices {
            finish(index, .failure(ItemFailure(index: index, kind: .cancelled, message: "cancelled")))
        }
    }

    /// Marks every item that has no outcome yet as cancelled (called once the batch is cancelled).
    func drainCancelled() {
        failAllRemaining(kind: .cancelled, message: "cancelled")
    }

    /// Fails every item not yet handed out, for a batch that cannot go on (no worker starts).
    func failAllRemaining(kind: ItemFailure.Kind, message: String) {
        let pending: [Int] = state.withLock { state in
            var pending = state.retry.flatMap { $0 }
            state.retry.removeAll()
            pending += Array(state.next..<inputs.count)
            state.next = inputs.count
            return pending
        }
        for index in pending {
            finish(index, .failure(ItemFailure(index: index, kind: kind, message: message)))
        }
    }

    /// Read only once every driver has finished.
    func outcomes() -> [Outcome<J.Output>] { slots.values() }
}

/// Hands out slot numbers to driver threads, blocking while all are taken.
final class SlotBank: @unchecked Sendable {
    private let condition = NSCondition()
    private var free: [Int] = []

    func reset(count: Int) {
        condition.lock(); defer { condition.unlock() }
        free = Array((0..<count).reversed())
    }

    func acquire() -> Int {
        condition.lock(); defer { condition.unlock() }
        while free.isEmpty { condition.wait() }
        return free.removeLast()
    }

    func release(_ slot: Int) {
        condition.lock(); defer { condition.unlock() }
        free.append(slot)
        condition.signal()
    }
}

/// Resumes a continuation once `count` threads have arrived.
final class Countdown: Sendable {
    private let state: Mutex<(remaining: Int, continuation: CheckedContinuation<Void, Never>?)>

    init(_ count: Int, then continuation: CheckedContinuation<Void, Never>) {
        state = Mutex((count, continuation))
        if count == 0 { arrive(count: 0) }
    }

    func arrive(count: Int = 1) {
        let ready: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.remaining -= count
            guard state.remaining <= 0 else { return nil }
            defer { state.continuation = nil }
            return state.continuation
        }
        ready?.resume()
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}

func formatSeconds(_ seconds: Double) -> String {
    seconds < 1 ? "\(Int((seconds * 1000).rounded())) ms" : String(format: "%.1f s", seconds)
}
