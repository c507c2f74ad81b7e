import Foundation
import PostgresNIO
import Synchronization
import Testing
import TrenzaCluster
import TrenzaClusterTestSupport

@Suite("Claiming chunks", .serialized, needsPostgres, .timeLimit(.minutes(2)))
struct ClaimTests {
    @Test func concurrentClaimersTakeEveryChunkExactlyOnce() async throws {
        try await withQueue(maxConnections: 10) { queue, _ in
            let total = 10_000
            let run = try await submit(queue, chunks: total)
            let claimers = 8
            let perClaimer = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for index in 0..<claimers {
                    group.addTask {
                        let worker = try await queue.registerWorker(host: "claimer\(index)", pid: index, jobs: [testJob])
                        var mine: [Int64] = []
                        while true {
                            let batch = try await queue.claim(worker: worker, jobs: [testJob], limit: 37, lease: .seconds(60))
                            if batch.isEmpty { break }
                            mine += batch.map(\.id)
                            let accepted = try await queue.complete(batch.map { ChunkCompletion(lease: $0.lease, result: $0.input) })
                            #expect(accepted.count == batch.count)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
            }
            let all = perClaimer.flatMap { $0 }
            #expect(all.count == total)
            #expect(Set(all).count == total)
            // The work was shared, not taken by one claimer while the others waited.
            #expect(perClaimer.filter { !$0.isEmpty }.count > 1)
            let status = try #require(try await queue.status(run: run))
            #expect(status.chunks(.done) == total && status.isFinished)
            #expect(try await scalar(queue, Int.self, "SELECT count(*)::int FROM trenza.chunks WHERE attempt <> 1") == 0)
            // Results come back in order, each the chunk's own.
            let results = try await queue.results(run: run, from: 9_990)
            #expect(results.map(\.seq) == Array(9_990..<10_000))
            #expect(results.map { String(decoding: $0.result ?? [], as: UTF8.self) } == (9_990..<10_000).map(String.init))
        }
    }

    @Test func workersClaimOnlyTheJobsAndVersionsTheyKnow() async throws {
        try await withQueue { queue, _ in
            let old = try await queue.createRun(RunRequest(job: JobKey("square", version: 1))).id
            try await queue.addChunks(run: old, [ChunkInput(seq: 0, itemCount: 1, payload: [0])])
            let current = try await submit(queue, chunks: 2)
            let worker = try await queue.registerWorker(host: "h", pid: 1, jobs: [testJob, JobKey("resize")])
            let claimed = try await queue.claim(worker: worker, jobs: [testJob, JobKey("resize")], limit: 10, lease: .seconds(5))
            #expect(claimed.map(\.run) == [current, current])
            #expect(claimed.map(\.seq) == [0, 1])
            #expect(claimed.allSatisfy { $0.job == testJob && $0.attempt == 1 && $0.maxAttempts == 3 })
            #expect(Set(claimed.map(\.lease.token)).count == 2)
            #expect(try await queue.claim(worker: worker, jobs: [], limit: 10, lease: .seconds(5)).isEmpty)
        }
    }
}
