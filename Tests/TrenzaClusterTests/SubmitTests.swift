import Foundation
import PostgresNIO
import Testing
import TrenzaCluster
import TrenzaClusterTestSupport

@Suite("Submitting runs", .serialized, needsPostgres, .timeLimit(.minutes(2)))
struct SubmitTests {
    @Test func chunksGoInOnceAndTheRunCountsThem() async throws {
        try await withQueue { queue, _ in
            let (run, created) = try await queue.createRun(RunRequest(job: testJob, key: "images a b c", options: [7, 8], maxAttempts: 4))
            #expect(created)
            let chunks = (0..<5_000).map { ChunkInput(seq: $0, itemCount: 100, payload: [UInt8](repeating: UInt8($0 % 251), count: 50)) }
            #expect(try await queue.addChunks(run: run, chunks) == 5_000)
            var status = try #require(try await queue.status(run: run))
            #expect(status.state == .submitting)
            #expect(status.chunkCount == 5_000)
            #expect(!status.isFinished)

            // The same command again attaches to the same run; re-adding skips what is in.
            let again = try await queue.createRun(RunRequest(job: testJob, key: "images a b c"))
            #expect(again.id == run && !again.created)
            #expect(try await queue.findRun(key: "images a b c") == run)
            #expect(try await queue.addChunks(run: run, Array(chunks[4_990...]) + [ChunkInput(seq: 5_000, itemCount: 1, payload: [1])]) == 1)
            try await queue.sealRun(run)

            status = try #require(try await queue.status(run: run))
            #expect(status.state == .open)
            #expect(status.chunkCount == 5_001)
            #expect(status.itemCount == 500_001)
            #expect(status.chunks(.available) == 5_001)
            #expect(status.items(.available) == 500_001)
            #expect(status.options == [7, 8])
            #expect(status.job == testJob)
            #expect(try await scalar(queue, Int.self, "SELECT max_attempts FROM trenza.chunks WHERE run_id = \(run) LIMIT 1") == 4)
            let stored = try await scalar(queue, ByteBuffer.self, "SELECT input FROM trenza.chunks WHERE run_id = \(run) AND seq = 300")
            #expect(Array(stored.readableBytesView) == chunks[300].payload)
        }
    }

    @Test func aKeyNamesOneJob() async throws {
        try await withQueue { queue, _ in
            _ = try await queue.createRun(RunRequest(job: testJob, key: "k"))
            await #expect(throws: ClusterError.runKeyTaken(key: "k", job: testJob, requested: JobKey("other"))) {
                try await queue.createRun(RunRequest(job: JobKey("other"), key: "k"))
            }
            // Runs without a key never collide.
            let a = try await queue.createRun(RunRequest(job: testJob)).id
            let b = try await queue.createRun(RunRequest(job: testJob)).id
            #expect(a != b)
            #expect(try await queue.findRun(key: "missing") == nil)
        }
    }

    @Test func listCancelAndPrune() async throws {
        try await withQueue { queue, _ in
            let first = try await submit(queue, chunks: 3)
            let second = try await submit(queue, chunks: 4)
            #expect(try await queue.listRuns().map(\.id) == [second, first])

            let worker = try await queue.registerWorker(host: "h", pid: 1, jobs: [testJob])
            let held = try await queue.claim(worker: worker, jobs: [testJob], limit: 1, lease: .seconds(30))
            let lease = try #require(held.first?.lease)
            #expect(try await queue.cancel(run: first) == 3)
            #expect(try await queue.complete(lease, result: [1]) == false)
            let cancelled = try #require(try await queue.status(run: first))
            #expect(cancelled.state == .cancelled && cancelled.chunks(.cancelled) == 3 && cancelled.isFinished)
            // Nothing of a cancelled run is claimable any more.
            let next = try await queue.claim(worker: worker, jobs: [testJob], limit: 10, lease: .seconds(30))
            #expect(Set(next.map(\.run)) == [second])
            await #expect(throws: ClusterError.unknownRun(999)) { try await queue.cancel(run: 999) }

            // The unfinished run stays; the finished one goes with its chunks.
            let pruned = try await queue.prune(olderThan: .zero)
            #expect(pruned.runs == 1 && pruned.chunks == 3)
            #expect(try await queue.status(run: first) == nil)
            #expect(try await queue.status(run: second) != nil)
        }
    }
}
