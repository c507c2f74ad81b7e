import Foundation
import Synchronization
import Trenza

/// §2.2: a lock makes two threads' 1,000,000 increments each add up to exactly 2,000,000; then
/// the other primitives of the section, each with an outcome that proves it works.
struct LocksLesson: Lesson {
    let slug = "locks"
    let section = "2.2"
    let title = "Synchronisation between threads"

    func run(_ context: LessonContext) async throws -> [Check] {
        var checks: [Check] = []
        checks.append(lockedCounter(context))
        checks.append(reentrantLock(context))
        checks.append(contentsOf: semaphore(context))
        checks.append(event(context))
        checks.append(condition(context))
        return checks
    }

    /// Lock: two threads, a million increments each, under a mutex.
    private func lockedCounter(_ context: LessonContext) -> Check {
        let counter = Mutex(0)
        let start = monotonicSeconds()
        let threads = (1...2).map { number in
            JoinableThread(name: "incrementar-\(number)") {
                for _ in 0..<1_000_000 {
                    counter.withLock { $0 += 1 }
                }
            }
        }
        threads.forEach { $0.join() }
        let elapsed = monotonicSeconds() - start
        let total = counter.withLock { $0 }
        context.say("Lock: final counter value \(total) in \(String(format: "%.3f", elapsed)) s")
        return Check("Lock: 2 threads × 1,000,000 locked increments give exactly 2,000,000", total == 2_000_000,
                     observed: "\(total)")
    }

    /// RLock: the thread that holds the lock may take it again (here, recursively) without deadlock.
    private func reentrantLock(_ context: LessonContext) -> Check {
        let lock = NSRecursiveLock()
        let depthReached = Mutex(0)
        @Sendable func descend(_ depth: Int) {
            lock.lock()
            defer { lock.unlock() }
            depthReached.withLock { $0 = max($0, depth) }
            if depth < 5 { descend(depth + 1) }
        }
        let thread = JoinableThread(name: "rlock") { descend(1) }
        thread.join()
        let depth = depthReached.withLock { $0 }
        context.say("RLock: one thread took the same lock \(depth) times, nested, and released it \(depth) times")
        return Check("RLock: the owning thread re-acquires the lock 5 levels deep", depth == 5, observed: "depth \(depth)")
    }

    /// Semaphore: six threads, at most two inside at once, and two really were inside at once.
    private func semaphore(_ context: LessonContext) -> [Check] {
        let permits = 2
        let gate = DispatchSemaphore(value: permits)
        let inside = Mutex((now: 0, most: 0))
        let threads = (0..<6).map { number in
            JoinableThread(name: "semaforo-\(number)") {
                gate.wait()
                inside.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                // Held long enough for a second thread to get in even on a busy machine.
                Thread.sleep(forTimeInterval: max(context.scaled(0.2), 0.02))
                inside.withLock { $0.now -= 1 }
                gate.signal()
            }
        }
        threads.forEach { $0.join() }
        let most = inside.withLock { $0.most }
        context.say("Semaphore(\(permits)): 6 threads, at most \(most) inside at once")
        return [
            Check("Semaphore(2): never more than 2 threads inside", most <= permits, observed: "\(most) at most"),
            Check("Semaphore(2): 2 threads did get in together", most == permits, observed: "\(most) at most"),
        ]
    }

    /// Event: three threads wait for one signal and all wake only after it is set.
    private func event(_ context: LessonContext) -> Check {
        let event = ThreadEvent()
        let woke = Mutex<[Double]>([])
        let waiters = (0..<3).map { number in
            JoinableThread(name: "evento-\(number)") {
                event.wait()
                let now = monotonicSeconds()
                woke.withLock { $0.append(now) }
            }
        }
        context.sleep(0.2)
        let setAt = monotonicSeconds()
        event.set()
        waiters.forEach { $0.join() }
        let times = woke.withLock { $0 }
        context.say("Event: \(times.count) waiting threads woke after the event was set")
        return Check("Event: all 3 waiters woke, none before the event was set",
                     times.count == 3 && times.allSatisfy { $0 >= setAt },
                     observed: "\(times.count) woke, earliest \(String(format: "%+.1f ms", ((times.min() ?? setAt) - setAt) * 1000)) after set")
    }

    /// Condition: a consumer waits until the shared list holds three items, then takes them all.
    private func condition(_ context: LessonContext) -> Check {
        let condition = NSCondition()
        let shared = SharedList()
        let taken = Mutex<[Int]>([])
        let consumer = JoinableThread(name: "condicion-consumidor") {
            condition.lock()
            while shared.items.count < 3 { condition.wait() }
            let items = shared.items
            shared.items.removeAll()
            condition.unlock()
            taken.withLock { $0 = items }
        }
        for item in 1...3 {
            context.sleep(0.05)
            condition.lock()
            shared.items.append(item)
            condition.signal()
            condition.unlock()
        }
        consumer.join()
        let items = taken.withLock { $0 }
        context.say("Condition: the consumer woke when the list held \(items)")
        return Check("Condition: the consumer proceeds only once 3 items are there", items == [1, 2, 3],
                     observed: "\(items)")
    }
}

/// State guarded by an `NSCondition` held by the caller.
private final class SharedList: @unchecked Sendable {
    var items: [Int] = []
}

/// Python's `threading.Event`: threads wait until some thread sets the flag.
final class ThreadEvent: @unchecked Sendable {
    // `flag` is only touched with `condition` locked.
    private let condition = NSCondition()
    private var flag = false

    func set() {
        condition.lock()
        flag = true
        condition.broadcast()
        condition.unlock()
    }

    func wait() {
        condition.lock()
        while !flag { condition.wait() }
        condition.unlock()
    }
}
