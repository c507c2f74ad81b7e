import Foundation
import Testing
import Trenza
import TrenzaCluster
import TrenzaClusterTestSupport

/// A job with state, so that the value the submitter passed must be the one that runs, and with
/// failures of its own, which must come back as the item's.
struct Offset: Job, Codable {
    static let name = "cluster-test.offset"
    var add: Int
    func run(_ x: Int) throws -> Int {
        if x % 97 == 0 { throw JobError("\(x) is a multiple of 97") }
        return x + add
    }
}

/// Slow enough that a chunk is still running when its worker is stopped.
struct Nap: Job {
    static let name = "cluster-test.nap"
    func run(_ x: Int) -> Int {
        usleep(20_000)
        return x
    }
}

/// State that cannot travel.
struct Closure: Job {
    static let name = "cluster-test.closure"
    let transform: @Sendable (Int) -> Int
    func run(_ x: Int) -> Int { transform(x) }
}

/// Workers on threads pools inside this test process, cancelled (as SIGTERM would) at the end.
func withWorkers<Result: Sendable>(
    _ count: Int, on queue: ClusterQueue, jobs: [ClusterJob], lease: Duration = .seconds(30),
    _ body: () async throws -> Result
) async throws -> (result: Result, completed: Int) {
    try await withThrowingTaskGroup(of: Int.self) { group in
        var pools: [Pool] = []
        for _ in 0..<count {
            let pool = try Pool(engine: .threads, width: 2)
            pools.append(pool)
            let worker = ClusterWorker(queue: queue, jobs: jobs, pool: pool, options: .init(lease: lease, idlePoll: .milliseconds(20)))
            group.addTask { try await worker.run() }
        }
        let result = try await body()
        group.cancelAll()
        var completed = 0
        for try await count in group { completed += count }
        for pool in pools { await pool.shutdown() }
        return (result, completed)
    }
}

@Suite("Cluster workers and map", .serialized, needsPostgres)
struct WorkerTests {
    @Test("two workers run a mapped job: every input has exactly one outcome, in order, equal to the threads engine's")
    func mapMatchesThreads() async throws {
        try await withQueue { queue, _ in
            let inputs = Array(0..<10_000)
            let (mapped, completed) = try await withWorkers(2, on: queue, jobs: [ClusterJob(Offset.self)]) {
                try await queue.map(Offset(add: 1_000), inputs, chunkSize: 100)
            }
            let expected = await Runner(engine: .threads, width: 2).map(Offset(add: 1_000), inputs)
            #expect(mapped.outcomes.count == inputs.count)
            // A failure on the cluster also names the machine that ran the input.
            let host = " (on \(ProcessInfo.processInfo.hostName))"
            #expect(zip(mapped.outcomes, expected).allSatisfy { a, b in
                a.output == b.output && a.failure?.message == b.failure.map { $0.message + host } && a.failure?.index == b.failure?.index
            })
            #expect(mapped.outcomes.filter { $0.failure != nil }.count == 104, "0, 97, …, 9,991")
            #expect(completed == 100, "each chunk accepted exactly once")
            let status = try #require(try await queue.status(run: mapped.run))
            #expect(status.chunks(.done) == 100 && status.isFinished)
        }
    }

    @Test("the same key attaches to the finished run: nothing runs again")
    func sameKeyAttaches() async throws {
        try await withQueue { queue, _ in
            let inputs = Array(1...500)
            let (first, _) = try await withWorkers(1, on: queue, jobs: [ClusterJob(Offset.self)]) {
                try await queue.map(Offset(add: 1), inputs, chunkSize: 50, key: "photos-2026-12-02")
            }
            // No worker now: only a finished run can answer.
            let again = try await queue.map(Offset(add: 1), inputs, chunkSize: 50, key: "photos-2026-12-02")
            #expect(again.run == first.run)
            #expect(again.outcomes.map(\.output) == first.outcomes.map(\.output))
        }
    }

    @Test("stream: inputs from an async sequence go in chunk by chunk, workers start before it ends, outcomes come back in input order")
    func streamFromAsyncSequence() async throws {
        try await withQueue { queue, _ in
            // The generator waits until the workers have finished its first chunk: a stream
            // that needed every input before submitting would never finish.
            let (firstChunkDone, signal) = AsyncStream.makeStream(of: Void.self)
            let inputs = AsyncStream<Int> { continuation in
                Task {
                    for x in 0..<100 { continuation.yield(x) }
                    for await _ in firstChunkDone { break }
                    for x in 100..<2_500 { continuation.yield(x) }
                    continuation.finish()
                }
            }
            let (results, _) = try await withWorkers(2, on: queue, jobs: [ClusterJob(Offset.self)]) {
                var results: [StreamedOutcome<Int>] = []
                for try await streamed in queue.stream(Offset(add: 7), inputs, chunkSize: 100) {
                    results.append(streamed)
                    if results.count == 100 { signal.yield() }
                }
                return results
            }
            #expect(results.map(\.index) == Array(0..<2_500))
            #expect(results.allSatisfy { $0.outcome.output.map { $0 - 7 } == $0.index || $0.index % 97 == 0 })
            let run = try #require(try await queue.listRuns().first)
            #expect(run.chunkCount == 25 && run.isFinished)
        }
    }

    @Test("a stopped worker hands its chunk back at once, and another finishes it long before the lease would have expired")
    func stoppedWorkerHandsBack() async throws {
        try await withQueue { queue, _ in
            let started = ContinuousClock.now
            let submitter = Task { try await queue.map(Nap(), Array(0..<40), chunkSize: 20) }
            // The first worker takes a chunk and is stopped while it runs (a 60 s lease).
            let pool = try Pool(engine: .threads, width: 1)
            let first = Task {
                try await ClusterWorker(queue: queue, jobs: [ClusterJob(Nap.self)], pool: pool,
                                        options: .init(lease: .seconds(60), chunksPerClaim: 1, idlePoll: .milliseconds(10))).run()
            }
            while try await queue.listRuns().first?.chunks(.running) ?? 0 == 0 { try await Task.sleep(for: .milliseconds(10)) }
            first.cancel()
            _ = try await first.value
            await pool.shutdown()
            let (mapped, _) = try await withWorkers(1, on: queue, jobs: [ClusterJob(Nap.self)], lease: .seconds(60)) {
                try await submitter.value
            }
            #expect(mapped.outcomes.map(\.output) == Array(0..<40))
            #expect(ContinuousClock.now - started < .seconds(60), "the chunk came back without waiting for its lease")
            let status = try #require(try await queue.status(run: mapped.run))
            #expect(status.chunks(.done) == 2)
        }
    }

    @Test("a job whose state cannot travel is refused before anything is submitted")
    func unsendableJobRefused() async throws {
        try await withQueue { queue, _ in
            await #expect(throws: ClusterError.self) {
                _ = try await queue.map(Closure { $0 * 2 }, [1, 2, 3])
            }
            let runs = try await queue.listRuns()
            #expect(runs.isEmpty)
        }
    }
}
