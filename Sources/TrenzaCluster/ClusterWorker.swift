import Foundation
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
        /// Chunks claimed (and completed) per statement: more amortise the commits.
        public var chunksPerClaim: Int
        /// The wait before asking again when nothing was claimable.
        public var idlePoll: Duration
        /// Chunks of workers silent this long are rescued by this worker's periodic sweep.
        public var silence: Duration

        public init(lease: Duration = .seconds(30), chunksPerClaim: Int = 4, idlePoll: Duration = .milliseconds(250), silence: Duration = .seconds(30)) {
            self.lease = lease
            self.chunksPerClaim = max(1, chunksPerClaim)
            self.idlePoll = idlePoll
            self.silence = silence
        }
    }

    public let queue: ClusterQueue
    public let pool: Pool
    public let options: Options
    private let jobs: [JobKey: ClusterJob]

    public init(queue: ClusterQueue, jobs: [ClusterJob], pool: Pool, options: Options = Options()) {
        self.queue = queue
        self.pool = pool
        self.options = options
        self.jobs = Dictionary(jobs.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Works until the calling task is cancelled, then gives back the chunks it holds; returns
    /// how many chunks it completed.
    @discardableResult
    public func run(host: String = ProcessInfo.processInfo.hostName, pid: Int = Int(ProcessInfo.processInfo.processIdentifier)) async throws -> Int {
        let keys = Array(jobs.keys)
        let worker = try await queue.retrying { try await $0.registerWorker(host: host, pid: pid, jobs: keys) }
        var failure: (any Error)?
        let completed = await withThrowingTaskGroup(of: Int.self) { group -> Int in
            group.addTask { try await keepLeases(worker) }
            group.addTask { try await work(worker, keys) }
            // Whichever ends first (cancellation, or an error that retrying could not ride out)
            // ends the other; the worker's count comes from whichever child returns one.
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
        let queue = self.queue
        _ = await Task { try? await queue.stop(worker: worker) }.value
        if let failure { throw failure }
        return completed
    }

    /// Claims, runs and completes chunks until cancelled; returns how many were accepted.
    private func work(_ worker: Int64, _ keys: [JobKey]) async throws -> Int {
        var completed = 0
        var jobValues: [Int64: [UInt8]] = [:]
        do {
            while !Task.isCancelled {
                let claimed = try await queue.retrying {
                    try await $0.claim(worker: worker, jobs: keys, limit: options.chunksPerClaim, lease: options.lease)
                }
                if claimed.isEmpty {
                    try await Task.sleep(for: options.idlePoll)
                    continue
                }
                var completions: [ChunkCompletion] = []
                for chunk in claimed {
                    guard let job = jobs[chunk.job] else { continue }
                    do {
                        if jobValues[chunk.run] == nil {
                            jobValues[chunk.run] = try await queue.retrying { try await $0.status(run: chunk.run) }?.options ?? []
                        }
                        let result = try await job.runChunk(chunk.input, jobValues[chunk.run] ?? [], pool)
                        completions.append(ChunkCompletion(lease: chunk.lease, result: result))
                    } catch let error as ClusterError {
                        // Bytes this worker cannot read will not read better elsewhere.
                        _ = try await queue.retrying { try await $0.fail(chunk.lease, error: "\(error)", retryable: false) }
                    } catch where !Task.isCancelled {
                        _ = try await queue.retrying { try await $0.fail(chunk.lease, error: "\(error)", retryable: true) }
                    }
                }
                // A chunk cut short by cancellation is not completed: its items did not all run.
                if Task.isCancelled { break }
                completed += try await queue.retrying { try await $0.complete(completions) }.count
            }
        } catch where Task.isCancelled {
            // Stopping: what this worker holds is handed back by `run`.
        }
        return completed
    }

    /// Extends this worker's leases every third of a lease, and sweeps up the chunks of silent
    /// workers every `silence`.
    private func keepLeases(_ worker: Int64) async throws -> Int {
        let clock = ContinuousClock()
        var nextRescue = clock.now
        while true {
            try await Task.sleep(for: options.lease / 3)
            _ = try await queue.retrying { try await $0.heartbeat(worker: worker, lease: options.lease) }
            if clock.now >= nextRescue {
                _ = try await queue.retrying { try await $0.rescue(silence: options.silence) }
                nextRescue = clock.now + options.silence
            }
        }
    }
}
