import Foundation
import Synchronization
import Trenza
import TrenzaCluster

/// The cluster engine's rows of the bench, when `--queue` names a database: the same batch as
/// a cluster run through `workers` workers, each claiming chunks and running them on a local pool
/// of its own, as `trenza worker` does. The workers are tasks of this process, started and idle
/// before the clock starts; what the figures add to the local engines' is the queue: submitting,
/// claiming, storing results, notifying, and reading them back in order.
struct ClusterLanes {
    var url: QueueURL
    /// A fresh run each time: the bench measures work, not a run already done.
    private let tag = UInt64.random(in: 0...UInt64.max)
    private let counter = Counter()

    init(url: QueueURL) { self.url = url }

    /// Runs `job` over `inputs` through `workers` workers, each on a `engine` pool of
    /// `widthPerWorker` lanes; the outcomes, the seconds from submitting to the last outcome, and
    /// the memory figures (worker processes included).
    func map<J: Job>(
        _ job: J, _ inputs: [J.Input], workers: Int, engine: Engine, widthPerWorker: Int = 1, chunkSize: Int? = nil,
        options: Pool.Options = Pool.Options()
    ) async throws -> ([Outcome<J.Output>], Double, MemorySampler.Figures) {
        try await ClusterQueue.withQueue(url, maxConnections: workers * 2 + 4) { queue in
            try await withThrowingTaskGroup(of: Void.self) { group in
                var pools: [Pool] = []
                defer { group.cancelAll() }
                for _ in 0..<workers {
                    let pool = try Pool(engine: engine, width: widthPerWorker, options: options)
                    pools.append(pool)
                    let worker = ClusterWorker(queue: queue, jobs: [ClusterJob(J.self)], pool: pool,
                                               options: .init(idlePoll: .milliseconds(200)))
                    group.addTask { try await worker.run() }
                }
                // Registered and listening before the clock starts, as long-running workers are.
                try await waitForWorkers(queue, count: workers, job: JobKey(J.name))
                let key = "bench-\(tag)-\(counter.next())"
                let result = try await BenchSuite.timed(.processes) {
                    try await queue.map(job, inputs, chunkSize: chunkSize, key: key).outcomes
                }
                group.cancelAll()
                try await group.waitForAll()
                for pool in pools { await pool.shutdown() }
                return result
            }
        }
    }

    private func waitForWorkers(_ queue: ClusterQueue, count: Int, job: JobKey) async throws {
        for _ in 0..<200 {
            if try await queue.liveWorkers(serving: job).count >= count { return }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    private final class Counter: Sendable {
        private let value = Mutex(0)
        func next() -> Int { value.withLock { $0 += 1; return $0 } }
    }
}
