import Foundation
import Synchronization

/// A fixed pool of OS threads pulling work from one shared FIFO queue: Python's
/// `ThreadPoolExecutor`, without a GIL, so CPU work runs in parallel.
///
/// ```swift
/// let pool = ThreadPool(width: 4)
/// defer { pool.shutdown() }
/// let outcomes = await pool.map(SquareJob(), Array(1...1_000))
/// ```
public final class ThreadPool: @unchecked Sendable {
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [@Sendable () -> Void] = []
    private var head = 0
    private var accepting = true
    private var liveThreads = 0
    /// No thread could be started: work runs on the submitting thread.
    private var runsInline = false

    /// How many threads run work at once.
    public let width: Int

    /// Starts `width` threads named `"<name>-<number>"` (the names show in logs and `top -H`).
    ///
    /// When the system refuses some threads (a process limit), the pool runs on those it got;
    /// when it refuses all, work runs on the thread that submits it.
    public init(width: Int, name: String = "trenza") {
        precondition(width > 0, "a thread pool needs at least one thread")
        self.width = width
        var started = 0
        for number in 0..<width {
            if case .success(let thread) = startThread(name: "\(name)-\(number)", { [self] in serve() }) {
                pthread_detach(thread)
                started += 1
            }
        }
        condition.lock()
        liveThreads += started
        runsInline = started == 0
        condition.unlock()
    }

    deinit {
        // Threads hold `self` until they exit, so reaching deinit means they are gone.
    }

    /// Queues `work` to run on one of the pool's threads.
    public func submit(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        precondition(accepting, "ThreadPool.submit after shutdown")
        if runsInline {
            condition.unlock()
            work()
            return
        }
        queue.append(work)
        condition.signal()
        condition.unlock()
    }

    /// Lets queued work finish, then stops and joins every thread.
    public func shutdown() {
        condition.lock()
        accepting = false
        condition.broadcast()
        while liveThreads > 0 { condition.wait() }
        condition.unlock()
    }

    private func serve() {
        while true {
            condition.lock()
            while head == queue.count && accepting { condition.wait() }
            if head == queue.count {
                liveThreads -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let work = queue[head]
            head += 1
            if head > 1024 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            condition.unlock()
            work()
        }
    }

    /// Runs `job` over `inputs` on the pool's threads; one outcome per input, in input order.
    /// Cancelling the calling task skips items that have not started (they fail as cancelled);
    /// items already running finish, since a thread cannot be stopped from outside.
    public func map<J: Job>(_ job: J, _ inputs: [J.Input], onEvent: ProgressHandler? = nil) async -> [Outcome<J.Output>] {
        if inputs.isEmpty { return [] }
        let results = OutcomeSlots<J.Output>(count: inputs.count)
        let cancelled = CancelFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = Countdown(inputs.count, then: continuation)
                for index in inputs.indices {
                    let input = inputs[index]
                    submit {
                        if cancelled.isSet {
                            let failure = ItemFailure(index: index, kind: .cancelled, message: "cancelled before it ran")
                            results.set(index, .failure(failure))
                            onEvent?(.failed(failure))
                        } else {
                            results.set(index, runBlocking(job, input, index: index, onEvent: onEvent))
                        }
                        done.arrive()
                    }
                }
            }
            return results.values()
        } onCancel: {
            cancelled.set()
        }
    }
}

/// Runs one item with the blocking form of the job, timing it and reporting progress.
func runBlocking<J: Job>(_ job: J, _ input: J.Input, index: Int, onEvent: ProgressHandler?) -> Outcome<J.Output> {
    onEvent?(.started(index: index))
    let start = monotonicSeconds()
    do {
        let output = try job.run(input)
        onEvent?(.succeeded(index: index, duration: .seconds(monotonicSeconds() - start)))
        return .success(output)
    } catch {
        let failure = ItemFailure(index: index, kind: .jobError, message: describe(error))
        onEvent?(.failed(failure))
        return .failure(failure)
    }
}

/// Outcomes written by many threads, one slot each, read once all are written.
///
/// Unchecked and lock-free on purpose: every index is written by exactly one thread (the one
/// that ran or gave up that item), and ``values()`` is read only after all writers have passed a
/// lock-protected countdown, which orders their writes before the read. A lock here was the
/// hottest contention in the process engine's chunked mode.
final class OutcomeSlots<Output: Sendable>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Outcome<Output>?>
    let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func set(_ index: Int, _ outcome: Outcome<Output>) { slots[index] = outcome }

    /// All outcomes in input order; an item nobody finished counts as cancelled.
    func values() -> [Outcome<Output>] {
        var values: [Outcome<Output>] = []
        values.reserveCapacity(count)
        for index in 0..<count {
            values.append(slots[index] ?? .failure(ItemFailure(index: index, kind: .cancelled, message: "cancelled before it ran")))
        }
        return values
    }
}

/// A flag set once from any thread (a task's cancellation handler) and read by workers.
final class CancelFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}
