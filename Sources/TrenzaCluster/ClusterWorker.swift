import Foundation
import Synchronization
import Trenza

/// A worker of the cluster engine: claims chunks of the jobs it knows from a queue, runs their
/// inputs on a local ``Pool`` (threads, processes or async), stores the outcomes, and keeps its
/// leases alive while it works.
///
/// Any number of workers on any number of machines share one queue. A worker that vanishes
/// loses its leases when they expire, and any worker's periodic rescue gives its chunks to
/// others; a worker whose task is cancelled (SIGTERM in `trenza worker --queue`) hands its
/// chunks back at once.
public struct ClusterWorker: Sendable {
    public struct Options: Sendable {
        /// How long a claimed chunk stays this worker's without a heartbeat.
        public var lease: Duration
        /// Chunks claimed per statement at most.
        public var chunksPerClaim: Int
        /// Chunks in hand at once; `nil`: twice the pool's width, so that the pool has the next
        /// chunk's inputs while the last ones of another finish.
        public var concurrentChunks: Int?
        /// The longest wait before asking again when nothing was claimable (new chunks wake an
        /// idle worker at once through `LISTEN`; this is the fallback).
        public var idlePoll: Duration
        /// Chunks of workers silent this long (or whose lease expired) are rescued by this
        /// worker's sweep, which runs every half of it.
        public var silence: Duration
        /// A chunk that comes back after losing its lease (its worker crashed, hung or was cut
        /// off) runs in worker processes of its own, one input per message, so that an input
        /// that crashes whatever runs it fails alone, named with its signal, and the rest of
        /// its chunk is done. Irrelevant on a processes pool, which isolates every input anyway.
        public var isolateRetries: Bool
        /// Runs finished this long ago are deleted with their chunks and results (and workers
        /// silent this long), by each worker about once an hour, so that the tables hold what is
        /// current; `nil` keeps everything (`trenza runs prune` then does it by hand).
        public var pruneAfter: Duration?

        public init(lease: Duration = .seconds(10), chunksPerClaim: Int = 4, concurrentChunks: Int? = nil,
                    idlePoll: Duration = .seconds(1), silence: Duration = .seconds(10), isolateRetries: Bool = true,
                    pruneAfter: Duration? = .seconds(7 * 86_400)) {
            self.lease = lease
            self.chunksPerClaim = max(1, chunksPerClaim)
            self.concurrentChunks = concurrentChunks.map { max(1, $0) }
            self.idlePoll = idlePoll
            self.silence = silence
            self.isolateRetries = isolateRetries
            self.pruneAfter = pruneAfter
        }
    }

    /// What a worker did, for a log: the command line prints these as lines.
    public enum Event: Sendable {
        case registered(worker: Int64)
        case claimed(run: Int64, seq: Int, items: Int, attempt: Int)
        /// `accepted` is false when the lease was lost meanwhile: another worker has the chunk.
        case completed(run: Int64, seq: Int, items: Int, seconds: Double, accepted: Bool)
        case failed(run: Int64, seq: Int, error: String, outcome: FailOutcome)
        /// Cancelled: the chunks still in hand went back to the queue.
        case stopped(released: Int)
    }

    public let queue: ClusterQueue
    public let pool: Pool
    public let options: Options
    private let jobs: [JobKey: ClusterJob]
    private let onEvent: (@Sendable (Event) -> Void)?

    public init(queue: ClusterQueue, jobs: [ClusterJob], pool: Pool, options: Options = Options(),
                onEvent: (@Sendable (Event) -> Void)? = nil) {
        self.queue = queue
        self.pool = pool
        self.options = options
        self.jobs = Dictionary(jobs.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        self.onEvent = onEvent
    }

    /// Works until the calling task is cancelled, then gives back the chunks it holds; returns
    /// how many chunks it completed.
    @discardableResult
    public func run(host: String = ProcessInfo.processInfo.hostName, pid: Int = Int(ProcessInfo.processInfo.processIdentifier)) async throws -> Int {
        let keys = Array(jobs.keys)
        let worker = try await queue.retrying { try await $0.registerWorker(host: host, pid: pid, jobs: keys) }
        onEvent?(.registered(worker: worker))
        let isolation = IsolationPool(pool: pool, enabled: options.isolateRetries)
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        var failure: (any Error)?
        let completed = await withThrowingTaskGroup(of: Int.self) { group -> Int in
            group.addTask { try await keepLeases(worker) }
            group.addTask {
                await queue.listen(on: ClusterQueue.workChannel) { _ in wake.yield() }
                return 0
            }
            group.addTask { try await work(worker, keys, host: host, isolation: isolation, wakes: wakes, wake: wake) }
            // Whichever ends first (cancellation, or an error that retrying could not ride out)
            // ends the others; the worker's count comes from the one child that returns one.
            var completed = 0
            while true {
                do {
                    guard let count = try await group.next() else { break }
                    completed += count
                } catch is CancellationError {
                } catch {
                    failure = failure ?? error
                }
                group.cancelAll()
            }
            return completed
        }
        // The task is cancelled by now; the hand-back must not be.
        let released = await Task { [queue] in (try? await queue.stop(worker: worker)) ?? 0 }.value
        await isolation.shutdown()
        onEvent?(.stopped(released: released))
        if let failure { throw failure }
        return completed
    }

    /// The chunks that ended since the loop last looked.
    private final class Ended: Sendable {
        private let ends = Mutex<[ChunkEnd]>([])
        func add(_ end: ChunkEnd) { ends.withLock { $0.append(end) } }
        func take() -> [ChunkEnd] {
            ends.withLock { ends in
                defer { ends.removeAll() }
                return ends
            }
        }
    }

    /// How a chunk in hand ended.
    private enum ChunkEnd: Sendable {
        case finished(ChunkCompletion, ClaimedChunk, seconds: Double)
        case failed(ClaimedChunk, error: String, retryable: Bool)
        /// Cut short by cancellation: not all its inputs ran, so it is handed back, not completed.
        case abandoned(ClaimedChunk)

        var chunkID: Int64 {
            switch self {
            case .finished(_, let chunk, _), .failed(let chunk, _, _), .abandoned(let chunk): chunk.id
            }
        }
    }

    /// Keeps up to `concurrentChunks` chunks running, claiming more as they end, until
    /// cancelled; returns how many completions were accepted.
    ///
    /// Chunks run in tasks of their own, not children: a cancelled worker returns at once,
    /// without waiting for an input that will not stop (a blocking call on a thread), so that
    /// `run` hands its chunks back now rather than when that input ends. A chunk that finishes
    /// after that is refused by its lease.
    private func work(_ worker: Int64, _ keys: [JobKey], host: String, isolation: IsolationPool,
                      wakes: AsyncStream<Void>, wake: AsyncStream<Void>.Continuation) async throws -> Int {
        let capacity = options.concurrentChunks ?? max(2, pool.width * 2)
        var jobValues: [Int64: [UInt8]] = [:]
        var wakeIterator = wakes.makeAsyncIterator()
        // Chunks that ended, taken together: those that end while one completion commits go in
        // the next one, a commit for several chunks instead of one each.
        let ended = Ended()
        let (endings, ending) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        var endingIterator = endings.makeAsyncIterator()
        var inHand: [Int64: Task<Void, Never>] = [:]
        defer {
            for task in inHand.values { task.cancel() }
        }
        var completed = 0
        do {
            while !Task.isCancelled {
                if inHand.count < capacity {
                    let limit = min(options.chunksPerClaim, capacity - inHand.count)
                    let claimed = try await queue.retrying {
                        try await $0.claim(worker: worker, jobs: keys, limit: limit, lease: options.lease)
                    }
                    for chunk in claimed {
                        onEvent?(.claimed(run: chunk.run, seq: chunk.seq, items: chunk.itemCount, attempt: chunk.attempt))
                        guard let job = jobs[chunk.job] else { continue }
                        if jobValues[chunk.run] == nil {
                            jobValues[chunk.run] = try await queue.retrying { try await $0.status(run: chunk.run) }?.options ?? []
                        }
                        let value = jobValues[chunk.run] ?? []
                        let chunkPool = chunk.attempt > 1 ? isolation.pool() ?? pool : pool
                        inHand[chunk.id] = Task {
                            let end = await Self.run(chunk, job, value, on: chunkPool, host: host)
                            ended.add(end)
                            ending.yield()
                        }
                    }
                    if inHand.isEmpty {
                        // Nothing claimable: wait for a NOTIFY of new chunks or the poll.
                        let timer = Task { [idlePoll = options.idlePoll] in
                            try await Task.sleep(for: idlePoll)
                            wake.yield()
                        }
                        _ = await wakeIterator.next()
                        timer.cancel()
                        continue
                    }
                    if !claimed.isEmpty && inHand.count < capacity { continue }
                }
                guard await endingIterator.next() != nil else { break }
                let ends = ended.take()
                for end in ends { inHand[end.chunkID] = nil }
                completed += try await settle(ends)
            }
        } catch where Task.isCancelled {
            // Stopping: what this worker holds is handed back by `run`.
        }
        return completed
    }

    /// Stores how chunks ended, the completions in one statement; returns how many completions
    /// were accepted.
    private func settle(_ ends: [ChunkEnd]) async throws -> Int {
        var finished: [(completion: ChunkCompletion, chunk: ClaimedChunk, seconds: Double)] = []
        for end in ends {
            switch end {
            case .finished(let completion, let chunk, let seconds):
                finished.append((completion, chunk, seconds))
            case .failed(let chunk, let error, let retryable):
                let outcome = try await queue.retrying { try await $0.fail(chunk.lease, error: error, retryable: retryable) }
                onEvent?(.failed(run: chunk.run, seq: chunk.seq, error: error, outcome: outcome))
            case .abandoned:
                break
            }
        }
        guard !finished.isEmpty else { return 0 }
        let completions = finished.map(\.completion)
        let accepted = try await queue.retrying { try await $0.complete(completions) }
        for (completion, chunk, seconds) in finished {
            onEvent?(.completed(run: chunk.run, seq: chunk.seq, items: chunk.itemCount, seconds: seconds,
                                accepted: accepted.contains(completion.lease)))
        }
        return finished.filter { accepted.contains($0.completion.lease) }.count
    }

    private static func run(_ chunk: ClaimedChunk, _ job: ClusterJob, _ value: [UInt8], on pool: Pool, host: String) async -> ChunkEnd {
        let start = ContinuousClock.now
        do {
            let result = try await job.runChunk(chunk.input, value, pool, host)
            if Task.isCancelled { return .abandoned(chunk) }
            let elapsed = ContinuousClock.now - start
            return .finished(ChunkCompletion(lease: chunk.lease, result: result), chunk,
                             seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        } catch let error as ClusterError {
            // Bytes this worker cannot read will not read better elsewhere.
            return .failed(chunk, error: "\(error)", retryable: false)
        } catch {
            if Task.isCancelled { return .abandoned(chunk) }
            return .failed(chunk, error: "\(error)", retryable: true)
        }
    }

    /// Extends this worker's leases every third of a lease, sweeps up the chunks of silent
    /// workers every half `silence` (so that a lost chunk waits at most one and a half), and
    /// prunes old runs about once an hour, at a random moment so that workers started together
    /// do not all prune at once.
    private func keepLeases(_ worker: Int64) async throws -> Int {
        let clock = ContinuousClock()
        var nextRescue = clock.now
        var nextPrune = clock.now + .seconds(Int64.random(in: 60...3_600))
        while true {
            try await Task.sleep(for: options.lease / 3)
            _ = try await queue.retrying { try await $0.heartbeat(worker: worker, lease: options.lease) }
            if clock.now >= nextRescue {
                _ = try await queue.retrying { try await $0.rescue(silence: options.silence) }
                nextRescue = clock.now + options.silence / 2
            }
            if let age = options.pruneAfter, clock.now >= nextPrune {
                _ = try await queue.retrying { try await $0.prune(olderThan: age) }
                nextPrune = clock.now + .seconds(3_600)
            }
        }
    }
}
