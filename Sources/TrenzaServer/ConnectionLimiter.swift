import Dispatch
import NIOCore
import Synchronization
import Trenza

/// The server's cap on open connections, shared by its event loops.
///
/// A connection over the cap closes the one that has waited longest for a request on the same
/// event loop (an idle keep-alive connection or a slow head), or when that loop has none, on the
/// loop with the most, and takes its place; when every connection is being answered, the
/// newcomer gets a 503 and is closed. Either
/// way, the process never runs out of file descriptors: with none left, the kernel's accept
/// fails and NIO stops accepting for a second, which is what once left `/health` unanswered
/// for seconds after a slowloris attack.
///
/// After a crowd of connections leaves, it hands the allocator's free pages back to the kernel
/// once, so resident memory returns near its level before the crowd came.
final class ConnectionLimiter: Sendable {
    /// The most connections open at once.
    let maximum: Int
    private let open = Atomic<Int>(0)
    /// The most connections open since memory was last released.
    private let highWater = Atomic<Int>(0)
    private let releaseScheduled = Atomic<Bool>(false)
    /// When the last connection of a departing crowd closed (`DispatchTime` nanoseconds).
    private let lastDeparture = Atomic<UInt64>(0)
    private let loops = Mutex<[ObjectIdentifier: LoopQueue]>([:])

    /// One event loop's queue, and its size for the other loops to read.
    private struct LoopQueue: Sendable {
        var loop: any EventLoop
        var queue: NIOLoopBound<EvictionQueue>
        var waiting: WaitingCount
    }

    /// A crowd worth releasing memory after: below this many connections, what they held is
    /// too little to matter and a release would only cost page faults later.
    static let crowd = 1000

    init(maximum: Int) {
        self.maximum = max(1, maximum)
    }

    /// Connections open now.
    var openConnections: Int { open.load(ordering: .relaxed) }

    /// The eviction queue of `loop`; call on that loop.
    func queue(for loop: any EventLoop) -> EvictionQueue {
        let key = ObjectIdentifier(loop)
        let entry = loops.withLock { loops in
            if let existing = loops[key] { return existing }
            let waiting = WaitingCount()
            let made = LoopQueue(loop: loop, queue: NIOLoopBound(EvictionQueue(waiting: waiting), eventLoop: loop), waiting: waiting)
            loops[key] = made
            return made
        }
        return entry.queue.value
    }

    /// Counts a new connection on `loop` (call on that loop), evicting a waiting one when the
    /// server is full. False when it is full of connections being answered: refuse the new one.
    func admit(on loop: any EventLoop) -> Bool {
        let count = open.wrappingAdd(1, ordering: .relaxed).newValue
        var peak = highWater.load(ordering: .relaxed)
        while count > peak {
            let (exchanged, current) = highWater.compareExchange(expected: peak, desired: count, ordering: .relaxed)
            if exchanged { break }
            peak = current
        }
        guard count > maximum else { return true }
        if let victim = queue(for: loop).removeOldest() {
            victim.evict()
            return true
        }
        let key = ObjectIdentifier(loop)
        let fullest = loops.withLock { loops in
            loops.filter { $0.key != key }.values.max { $0.waiting.value.load(ordering: .relaxed) < $1.waiting.value.load(ordering: .relaxed) }
        }
        if let fullest, fullest.waiting.value.load(ordering: .relaxed) > 0 {
            // Its connections belong to its loop: the eviction runs there, a moment later.
            fullest.loop.execute { fullest.queue.value.removeOldest()?.evict() }
            return true
        }
        open.wrappingSubtract(1, ordering: .relaxed)
        return false
    }

    /// Counts a connection gone. When a crowd has come and mostly gone, releases free memory.
    func closed() {
        let count = open.wrappingSubtract(1, ordering: .relaxed).newValue
        let peak = highWater.load(ordering: .relaxed)
        guard peak >= Self.crowd, count <= peak / 4 else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        lastDeparture.store(now, ordering: .relaxed)
        guard releaseScheduled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        releaseWhenQuiet(firstDeparture: now)
    }

    /// How long no connection of the crowd may have closed before memory is released: the
    /// connections' tasks free what they hold a moment after their channels close.
    static let quietNanoseconds: UInt64 = 500_000_000
    /// The longest a release waits for that quiet, from the crowd's first departures.
    static let longestWait: UInt64 = 5_000_000_000

    /// Off the event loops, once the crowd's departures have stopped for ``quietNanoseconds``: a trim
    /// walks the whole heap (milliseconds), which no request should wait behind, and one made
    /// while the crowd still leaves misses what its last members free. (Released when the
    /// first quarter had left, 20,400 half-open connections left 31 MiB that a trim made once
    /// they had all gone returned.)
    private func releaseWhenQuiet(firstDeparture: UInt64) {
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + .nanoseconds(Int(Self.quietNanoseconds))) { [self] in
            let now = DispatchTime.now().uptimeNanoseconds
            let sinceLast = now &- lastDeparture.load(ordering: .relaxed)
            if sinceLast < Self.quietNanoseconds, now &- firstDeparture < Self.longestWait {
                releaseWhenQuiet(firstDeparture: firstDeparture)
                return
            }
            MemoryTuning.releaseFreeMemory()
            highWater.store(open.load(ordering: .relaxed), ordering: .relaxed)
            releaseScheduled.store(false, ordering: .releasing)
        }
    }
}
