import Testing
@testable import Trenza

/// The process pool's scheduling rules, without processes: each test plays the slot threads.
@Suite("Process pool scheduler (state machine)")
struct ProcessPoolSchedulerTests {
    typealias Scheduler = ProcessPoolScheduler
    typealias Chunk = ProcessPoolScheduler.Chunk

    func scheduler(width: Int = 2, maxItems: Int? = nil) -> Scheduler {
        Scheduler(configuration: .init(width: width, maxItemsPerWorker: maxItems))
    }

    /// Starts the slot's worker as its thread would.
    func start(_ s: inout Scheduler, slot: Int, pid: Int32) {
        #expect(s.next(slot: slot, now: 0) == .spawn)
        s.workerStarted(slot: slot, pid: pid)
    }

    func sentChunks(_ action: Scheduler.SlotAction) -> [Chunk] {
        if case .send(let chunks) = action { return chunks }
        Issue.record("expected a send, got \(action)")
        return []
    }

    @Test("no work: slots stay idle and start no worker; work wakes them and they spawn")
    func idleUntilWork() {
        var s = scheduler()
        #expect(s.next(slot: 0, now: 0) == .idle)
        #expect(s.next(slot: 1, now: 0) == .idle)
        s.addBatch(1, job: 7, chunkSize: nil)
        let effects = s.enqueue(batch: 1, items: 0..<10)
        #expect(effects == [.wake([0, 1])])
        #expect(s.next(slot: 0, now: 0) == .spawn)
    }

    @Test("automatic chunks start at one item and grow at most eightfold as items prove fast")
    func automaticChunksGrow() {
        var s = scheduler(width: 1)
        s.addBatch(1, job: 1, chunkSize: nil)
        _ = s.enqueue(batch: 1, items: 0..<1_000_000)
        start(&s, slot: 0, pid: 10)
        var sizes: [Int] = []
        var now = 0.0
        for _ in 0..<8 {
            let chunks = sentChunks(s.next(slot: 0, now: now))
            for chunk in chunks { sizes.append(chunk.items.count) }
            // Every item takes 100 ns: the chunk answers after its items' time.
            for chunk in chunks {
                now += Double(chunk.items.count) * 1e-7
                _ = s.chunkAnswered(slot: 0, now: now)
            }
        }
        #expect(sizes.first == 1)
        for (previous, next) in zip(sizes, sizes.dropFirst()) {
            #expect(next <= max(1, previous) * 8)
        }
        #expect(sizes.last! >= 10_000, "tiny items end up in large chunks: \(sizes)")
    }

    @Test("slow items stay one per chunk and one in flight, so idle workers share the tail")
    func slowItemsSpread() {
        var s = scheduler(width: 2)
        s.addBatch(1, job: 1, chunkSize: nil)
        _ = s.enqueue(batch: 1, items: 0..<8)
        start(&s, slot: 0, pid: 10)
        var now = 0.0
        for _ in 0..<3 {
            let chunks = sentChunks(s.next(slot: 0, now: now))
            #expect(chunks.count == 1)
            #expect(chunks.first?.items.count == 1)
            now += 1
            _ = s.chunkAnswered(slot: 0, now: now)
        }
        start(&s, slot: 1, pid: 11)
        #expect(sentChunks(s.next(slot: 1, now: now)).first?.items.count == 1)
    }

    @Test("a fixed chunk size is used as given")
    func fixedChunks() {
        var s = scheduler(width: 1)
        s.addBatch(1, job: 1, chunkSize: 5)
        _ = s.enqueue(batch: 1, items: 0..<12)
        start(&s, slot: 0, pid: 10)
        #expect(sentChunks(s.next(slot: 0, now: 0)) == [Chunk(batch: 1, items: 0..<5)])
    }

    @Test("a worker dying inside a chunk of several items re-runs them one by one; later chunks go back to the queue")
    func deathBisects() {
        var s = scheduler(width: 1)
        s.addBatch(1, job: 1, chunkSize: 4)
        _ = s.enqueue(batch: 1, items: 0..<8)
        start(&s, slot: 0, pid: 10)
        _ = s.chunkAnswered(slot: 0, now: 0)   // no chunk in flight: ignored
        let first = sentChunks(s.next(slot: 0, now: 0))
        #expect(first == [Chunk(batch: 1, items: 0..<4)])
        let effects = s.workerDied(slot: 0, reason: "was killed by signal 11 (SIGSEGV)", kind: .workerCrashed)
        #expect(!effects.contains { if case .fail = $0 { true } else { false } }, "nobody is blamed for a chunk of four")
        start(&s, slot: 0, pid: 11)
        #expect(sentChunks(s.next(slot: 0, now: 0)) == [Chunk(batch: 1, items: 0..<1)])
    }

    @Test("a worker dying on a single item fails exactly that item with the reason")
    func deathBlamesSingle() {
        var s = scheduler(width: 1)
        s.addBatch(1, job: 1, chunkSize: 1)
        _ = s.enqueue(batch: 1, items: 0..<3)
        start(&s, slot: 0, pid: 10)
        #expect(sentChunks(s.next(slot: 0, now: 0)) == [Chunk(batch: 1, items: 0..<1)])
        let effects = s.workerDied(slot: 0, reason: "worker process 10 was killed by signal 6 (SIGABRT)", kind: .workerCrashed)
        #expect(effects.contains(.fail(Chunk(batch: 1, items: 0..<1), .workerCrashed, "worker process 10 was killed by signal 6 (SIGABRT)")))
        start(&s, slot: 0, pid: 11)
        #expect(sentChunks(s.next(slot: 0, now: 0)).first?.items == 1..<2)
    }

    @Test("a timeout fails the chunk that timed out; the deadline scales with the chunk's items")
    func timeoutDeadline() {
        var s = scheduler(width: 1)
        s.addBatch(1, job: 1, chunkSize: 2, timeout: 0.5)
        _ = s.enqueue(batch: 1, items: 0..<2)
        start(&s, slot: 0, pid: 10)
        _ = s.next(slot: 0, now: 100)
        #expect(s.next(slot: 0, now: 100.1) == .awaitReply(deadline: 101))
        let effects = s.workerDied(slot: 0, reason: "killed", kind: .timedOut)
        #expect(effects.contains(.fail(Chunk(batch: 1, items: 0..<2), .timedOut, "killed")))
    }

    @Test("cancelling a batch fails its queued items and kills only workers running its chunks")
    func cancelBatch() {
        var s = scheduler(width: 2)
        s.addBatch(1, job: 1, chunkSize: 2)
        s.addBatch(2, job: 1, chunkSize: 2)
        _ = s.enqueue(batch: 1, items: 0..<2)
        _ = s.enqueue(batch: 2, items: 0..<2)
        _ = s.enqueue(batch: 1, items: 2..<6)
        start(&s, slot: 0, pid: 10)
        start(&s, slot: 1, pid: 11)
        #expect(sentChunks(s.next(slot: 0, now: 0)) == [Chunk(batch: 1, items: 0..<2)])
        #expect(sentChunks(s.next(slot: 1, now: 0)) == [Chunk(batch: 2, items: 0..<2)])
        let effects = s.cancel(batch: 1)
        #expect(effects.contains(.fail(Chunk(batch: 1, items: 2..<6), .cancelled, "cancelled")))
        #expect(effects.contains(.wake([0])))
        #expect(s.next(slot: 0, now: 0) == .kill)
        #expect(s.next(slot: 1, now: 0) == .awaitReply(deadline: nil))
        let death = s.workerDied(slot: 0, reason: "cancelled", kind: .cancelled)
        #expect(death.contains(.fail(Chunk(batch: 1, items: 0..<2), .cancelled, "cancelled")))
    }

    @Test("a worker killed for another batch's cancellation re-queues the innocent chunk it held")
    func innocentChunkRequeued() {
        var s = scheduler(width: 1)
        s.addBatch(1, job: 1, chunkSize: 1)
        s.addBatch(2, job: 2, chunkSize: 1)
        _ = s.enqueue(batch: 1, items: 0..<1)
        _ = s.enqueue(batch: 2, items: 0..<1)
        start(&s, slot: 0, pid: 10)
        _ = s.next(slot: 0, now: 0)                      // batch 1's item
        _ = s.chunkAnswered(slot: 0, now: 0.0001)         // fast: depth two now
        _ = s.enqueue(batch: 1, items: 1..<2)
        _ = s.next(slot: 0, now: 0)
        _ = s.cancel(batch: 2)
        #expect(s.next(slot: 0, now: 0) == .kill)
        let effects = s.workerDied(slot: 0, reason: "cancelled", kind: .cancelled)
        #expect(!effects.contains { if case .fail(let chunk, _, _) = $0 { chunk.batch == 1 } else { false } })
        start(&s, slot: 0, pid: 11)
        #expect(sentChunks(s.next(slot: 0, now: 0)).contains { $0.batch == 1 })
    }

    @Test("a worker is retired after its share of items, then a fresh one starts")
    func recycling() {
        var s = scheduler(width: 1, maxItems: 2)
        s.addBatch(1, job: 1, chunkSize: 1)
        _ = s.enqueue(batch: 1, items: 0..<3)
        start(&s, slot: 0, pid: 10)
        for _ in 0..<2 {
            _ = sentChunks(s.next(slot: 0, now: 0))
            _ = s.chunkAnswered(slot: 0, now: 1)
        }
        #expect(s.next(slot: 0, now: 1) == .retire)
        _ = s.workerRetired(slot: 0)
        #expect(s.next(slot: 0, now: 1) == .spawn)
    }

    @Test("when the system refuses some workers the pool runs narrower; when it refuses all, the work fails with the reason")
    func limits() {
        var s = scheduler(width: 3)
        s.addBatch(1, job: 1, chunkSize: 1)
        _ = s.enqueue(batch: 1, items: 0..<6)
        start(&s, slot: 0, pid: 10)
        #expect(s.next(slot: 1, now: 0) == .spawn)
        #expect(s.workerFailedToStart(slot: 1, message: "Resource temporarily unavailable", limitReached: true)
            == [.narrowed(slots: 2, width: 3, reason: "Resource temporarily unavailable")])
        #expect(s.next(slot: 1, now: 0) == .idle)
        #expect(s.unavailableSlots == 1)

        var none = scheduler(width: 2)
        none.addBatch(1, job: 1, chunkSize: 1)
        _ = none.enqueue(batch: 1, items: 0..<4)
        #expect(none.next(slot: 0, now: 0) == .spawn)
        #expect(none.next(slot: 1, now: 0) == .spawn)
        #expect(none.workerFailedToStart(slot: 1, message: "EAGAIN", limitReached: true) == [.narrowed(slots: 1, width: 2, reason: "EAGAIN")],
                "slot 0 is still starting, so slot 1 is given up")
        let effects = none.workerFailedToStart(slot: 0, message: "cannot start: Resource temporarily unavailable", limitReached: true)
        #expect(effects == [.fail(Chunk(batch: 1, items: 0..<4), .workerCrashed, "cannot start: Resource temporarily unavailable")])
        let later = none.enqueue(batch: 1, items: 4..<5)
        #expect(later == [.fail(Chunk(batch: 1, items: 4..<5), .workerCrashed, "no worker process could be started")])
    }

    @Test("a short chunk (byte budget) returns its rest to the front of the queue")
    func shortenedChunk() {
        var s = scheduler(width: 1)
        s.addBatch(1, job: 1, chunkSize: 10)
        _ = s.enqueue(batch: 1, items: 0..<20)
        start(&s, slot: 0, pid: 10)
        let chunk = sentChunks(s.next(slot: 0, now: 0))[0]
        _ = s.shortened(slot: 0, chunk: chunk, sent: 3)
        #expect(s.inFlight(slot: 0) == [Chunk(batch: 1, items: 0..<3)])
        _ = s.chunkAnswered(slot: 0, now: 0.001)
        #expect(sentChunks(s.next(slot: 0, now: 0.001)).first?.items == 3..<13)
    }

    @Test("shutting down fails queued work and retires idle workers")
    func shutdown() {
        var s = scheduler(width: 1)
        s.addBatch(1, job: 1, chunkSize: 1)
        _ = s.enqueue(batch: 1, items: 0..<3)
        start(&s, slot: 0, pid: 10)
        _ = s.next(slot: 0, now: 0)
        let effects = s.shutDown()
        #expect(effects.contains(.fail(Chunk(batch: 1, items: 1..<3), .cancelled, "the pool was shut down")))
        #expect(s.next(slot: 0, now: 0) == .awaitReply(deadline: nil), "work in flight finishes")
        _ = s.chunkAnswered(slot: 0, now: 1)
        #expect(s.next(slot: 0, now: 1) == .retire)
        _ = s.workerRetired(slot: 0)
        #expect(s.next(slot: 0, now: 1) == .exit)
    }
}
