import CTrenzaSystem
import Foundation
import Logging
import Synchronization
internal import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The machinery behind ``ProcessPool``: one thread per worker slot carrying out the
/// decisions of a ``ProcessPoolScheduler``, and the batches it serves.
final class ProcessEngine: EngineCore {
    let width: Int
    private let launch: WorkerLaunch
    private let scheduler: Mutex<ProcessPoolScheduler>
    private let batches = Mutex<[Int: any ProcessBatchHandle]>([:])
    /// Job numbers by parcel, so one job value is defined once per worker and its chunk
    /// sizing carries over between batches.
    private let jobNumbers = Mutex<(numbers: [JobTravel.Parcel: Int], next: Int)>(([:], 0))
    private let nextBatch = Atomic<Int>(0)
    private let wakePipes: [(read: Int32, write: Int32)]
    private let threads = Mutex<[pthread_t]>([])
    private let stopped = Atomic<Bool>(false)
    private let logger: Logger

    init(width: Int, launch: WorkerLaunch, maxItemsPerWorker: Int?, logger: Logger) throws(WorkerStartError) {
        self.width = width
        self.launch = launch
        self.logger = logger
        self.scheduler = Mutex(ProcessPoolScheduler(configuration: .init(width: width, maxItemsPerWorker: maxItemsPerWorker)))
        var pipes: [(read: Int32, write: Int32)] = []
        for _ in 0..<width {
            do {
                let pipe = try ChildProcess.pipe()
                for fd in [pipe.read, pipe.write] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
                pipes.append(pipe)
            } catch {
                pipes.forEach { Glibc.close($0.read); Glibc.close($0.write) }
                throw error
            }
        }
        wakePipes = pipes
        var started = 0
        var lastError: Int32 = 0
        for number in 0..<width {
            let result = startThread(name: "trenza-slot-\(number)") { [self] in runSlot(number) }
            switch result {
            case .success(let thread):
                threads.withLock { $0.append(thread) }
                started += 1
            case .failure(let error):
                // The system allows fewer threads than slots: the slots without one stay empty.
                lastError = error.code
                _ = scheduler.withLock { $0.workerFailedToStart(slot: number, message: "", limitReached: true) }
            }
        }
        if started > 0 && started < width {
            report(narrowedTo: started, reason: "cannot start a thread for every worker: \(Errno(rawValue: lastError))")
        }
        if started == 0 {
            wakePipes.forEach { Glibc.close($0.read); Glibc.close($0.write) }
            throw WorkerStartError("cannot start a thread for the process pool: \(Errno(rawValue: lastError))", isLimit: true)
        }
    }

    deinit {
        wakePipes.forEach { Glibc.close($0.read); Glibc.close($0.write) }
    }

    var workerPIDs: [Int32] { scheduler.withLock { $0.workerPIDs } }

    var streamWindow: Int { 16_384 * width }

    // MARK: EngineCore

    func open<J: Job>(_ batch: BatchCore<J>, settings: BatchSettings) throws(JobTravelError) -> Int {
        let parcel = try JobTravel.parcel(for: batch.job)
        let job = jobNumbers.withLock { table -> Int in
            if let number = table.numbers[parcel] { return number }
            if table.numbers.count > 1024 { table.numbers.removeAll() }
            table.next += 1
            table.numbers[parcel] = table.next
            return table.next
        }
        let id = nextBatch.add(1, ordering: .relaxed).newValue
        batches.withLock { $0[id] = ProcessBatch(core: batch, job: job, parcel: parcel) }
        scheduler.withLock { $0.addBatch(id, job: job, chunkSize: settings.chunkSize, timeout: settings.timeout?.seconds) }
        return id
    }

    func enqueue(_ batch: Int, items: Range<Int>) {
        apply(scheduler.withLock { $0.enqueue(batch: batch, items: items) })
    }

    func cancel(_ batch: Int) {
        apply(scheduler.withLock { $0.cancel(batch: batch) })
    }

    func close(_ batch: Int) {
        scheduler.withLock { $0.removeBatch(batch) }
        _ = batches.withLock { $0.removeValue(forKey: batch) }
    }

    func map<J: Job>(_ job: J, _ inputs: [J.Input], settings: BatchSettings, onEvent: ProgressHandler?) async -> [Outcome<J.Output>] {
        await BatchRunner.map(on: self, job, inputs, settings: settings, onEvent: onEvent)
    }

    /// Fails what is queued, lets every slot finish its chunks in flight (up to `grace`), stops
    /// the workers and joins the threads.
    func shutdown(grace: Duration) {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        apply(scheduler.withLock { $0.shutDown() })
        let deadline = monotonicSeconds() + grace.seconds
        let joining = threads.withLock { list in defer { list.removeAll() }; return list }
        // Past the grace period, in-flight work is cut off: its workers are killed.
        let killer = startThread(name: "trenza-shutdown") { [self] in
            while monotonicSeconds() < deadline {
                if threadsFinished.load(ordering: .acquiring) == joining.count { return }
                usleep(5_000)
            }
            for pid in workerPIDs { kill(pid, SIGKILL) }
        }
        for thread in joining { pthread_join(thread, nil) }
        if case .success(let thread) = killer { pthread_join(thread, nil) }
    }

    private let threadsFinished = Atomic<Int>(0)

    // MARK: Effects

    private func apply(_ effects: [ProcessPoolScheduler.Effect]) {
        for effect in effects {
            switch effect {
            case .fail(let chunk, let kind, let message):
                batch(chunk.batch)?.fail(chunk.items, kind: kind, message: message)
            case .wake(let slots):
                for slot in slots { wake(slot) }
            case .narrowed(let slots, _, let reason):
                report(narrowedTo: slots, reason: reason)
            }
        }
    }

    private func report(narrowedTo slots: Int, reason: String) {
        logger.warning("process pool runs on at most \(slots) of \(width) workers: \(reason)",
                       metadata: ["workers": "\(slots)", "width": "\(width)"])
    }

    private func batch(_ id: Int) -> (any ProcessBatchHandle)? { batches.withLock { $0[id] } }

    private func wake(_ slot: Int) {
        var byte: UInt8 = 1
        _ = write(wakePipes[slot].write, &byte, 1)
    }

    private func drainWakeups(_ slot: Int) {
        var buffer = [UInt8](repeating: 0, count: 64)
        while buffer.withUnsafeMutableBytes({ read(wakePipes[slot].read, $0.baseAddress, $0.count) }) > 0 {}
    }

    private func waitForWakeup(_ slot: Int) {
        var descriptor = pollfd(fd: wakePipes[slot].read, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, -1)
        drainWakeups(slot)
    }

    // MARK: A slot's thread

    /// Carries out the scheduler's decisions for one slot until the pool shuts down.
    private func runSlot(_ number: Int) {
        defer { threadsFinished.add(1, ordering: .releasing) }
        var worker: WorkerProcess?
        var defined: Set<Int> = []
        var consecutiveStartFailures = 0

        func died(_ reason: String, kind: ItemFailure.Kind) {
            apply(scheduler.withLock { $0.workerDied(slot: number, reason: reason, kind: kind) })
            worker = nil
            defined = []
        }

        func deathReason(_ error: WireError, of current: WorkerProcess) -> (String, ItemFailure.Kind) {
            let pid = current.pid
            switch error {
            case .timedOut:
                current.kill(signal: SIGKILL)
                return ("worker process \(pid) was killed and replaced", .timedOut)
            case .endOfStream:
                let death = current.kill(signal: SIGKILL)
                return ("worker process \(pid) \(death)\(current.lastWordsSuffix)", .workerCrashed)
            case .malformed(let detail):
                let death = current.kill(signal: SIGKILL)
                return ("worker process \(pid) sent a malformed reply (\(detail)) and was killed; it then \(death)", .workerCrashed)
            case .system(let detail):
                current.kill(signal: SIGKILL)
                return ("lost worker process \(pid): \(detail)", .workerCrashed)
            }
        }

        while true {
            let action = scheduler.withLock { $0.next(slot: number, now: monotonicSeconds()) }
            switch action {
            case .exit:
                return

            case .idle:
                guard let current = worker else {
                    waitForWakeup(number)
                    continue
                }
                // Idle with a worker: wake for new work, and notice if the worker dies meanwhile.
                do throws(WireError) {
                    switch try current.next(wakeFD: wakePipes[number].read, deadline: nil) {
                    case .woken: drainWakeups(number)
                    case .frame(let kind, _): throw WireError.malformed("an unrequested \(kind) frame")
                    }
                } catch {
                    let (reason, kind) = deathReason(error, of: current)
                    died(reason, kind: kind)
                }

            case .spawn:
                do {
                    let started = try WorkerProcess.spawn(launch)
                    worker = started
                    defined = []
                    consecutiveStartFailures = 0
                    scheduler.withLock { $0.workerStarted(slot: number, pid: started.pid) }
                } catch {
                    consecutiveStartFailures += 1
                    apply(scheduler.withLock {
                        $0.workerFailedToStart(slot: number, message: error.message, limitReached: error.isLimit || error.isSetupFailure)
                    })
                    // A worker that cannot start now may start in a moment (a limit freed up);
                    // do not spin meanwhile.
                    usleep(UInt32(min(consecutiveStartFailures, 10)) * 20_000)
                }

            case .send(let chunks):
                guard let current = worker else { continue }
                var bytes: [UInt8] = []
                var sent: [(ProcessPoolScheduler.Chunk, any ProcessBatchHandle, Int)] = []
                // Never more unread bytes than the request pipe holds: then a write never
                // blocks, and a worker blocked writing its reply cannot deadlock against us.
                let budget = current.requestCapacity / 2 / max(1, chunks.count)
                for chunk in chunks {
                    guard let handle = batch(chunk.batch) else {
                        apply(scheduler.withLock { $0.shortened(slot: number, chunk: chunk, sent: 0) })
                        continue
                    }
                    if !defined.contains(handle.jobNumber) {
                        bytes += Wire.parcelFrame(kind: .defineJob, prefix: UInt32(handle.jobNumber), handle.parcel)
                        defined.insert(handle.jobNumber)
                    }
                    let count = handle.encode(chunk.items, into: &bytes, budget: budget)
                    if count < chunk.items.count {
                        apply(scheduler.withLock { $0.shortened(slot: number, chunk: chunk, sent: count) })
                    }
                    if count > 0 { sent.append((chunk, handle, count)) }
                }
                do {
                    try current.send(bytes)
                    for (chunk, handle, count) in sent {
                        handle.started(chunk.items.lowerBound..<chunk.items.lowerBound + count)
                    }
                } catch {
                    // It died before reading these chunks; the scheduler re-queues all but the
                    // first, which is blamed only if it was the worker's single item.
                    let (reason, kind) = deathReason(error, of: current)
                    died(reason, kind: kind)
                }

            case .awaitReply(let deadline):
                guard let current = worker else { continue }
                do throws(WireError) {
                    switch try current.next(wakeFD: wakePipes[number].read, deadline: deadline) {
                    case .woken:
                        drainWakeups(number)
                    case .frame(let kind, let payload):
                        guard kind == .results else { throw WireError.malformed("unexpected \(kind) frame") }
                        let now = monotonicSeconds()
                        guard let head = scheduler.withLock({ $0.inFlight(slot: number).first }) else {
                            throw WireError.malformed("a reply with no request in flight")
                        }
                        let seconds = scheduler.withLock { $0.headSeconds(slot: number, now: now) }
                        try batch(head.batch)?.deliver(head.items, payload: payload, seconds: seconds)
                        apply(scheduler.withLock { $0.chunkAnswered(slot: number, now: now) })
                    }
                } catch {
                    let (reason, kind) = deathReason(error, of: current)
                    let message = kind == .timedOut
                        ? "timed out after \(formatSeconds(timeoutOfHead(number) ?? 0)); \(reason)"
                        : reason
                    died(message, kind: kind)
                }

            case .retire:
                worker?.stop(grace: 2)
                worker = nil
                defined = []
                apply(scheduler.withLock { $0.workerRetired(slot: number) })

            case .kill:
                if let current = worker {
                    current.kill(signal: SIGKILL)
                }
                died("cancelled", kind: .cancelled)
            }
        }
    }

    private func timeoutOfHead(_ slot: Int) -> Double? {
        scheduler.withLock { $0.timeoutOfHead(slot: slot) }
    }
}
