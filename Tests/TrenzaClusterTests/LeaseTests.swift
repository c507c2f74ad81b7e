import Foundation
import PostgresNIO
import Testing
import TrenzaCluster
import TrenzaClusterTestSupport

@Suite("Leases, fencing and rescue", .serialized, needsPostgres, .timeLimit(.minutes(2)))
struct LeaseTests {
    @Test func anExpiredLeaseIsRescuedAndTheLateResultRefused() async throws {
        try await withQueue { queue, _ in
            let run = try await submit(queue, chunks: 1)
            let slow = try await queue.registerWorker(host: "cut-off", pid: 11, jobs: [testJob])
            let fast = try await queue.registerWorker(host: "healthy", pid: 22, jobs: [testJob])
            let first = try #require(try await queue.claim(worker: slow, jobs: [testJob], limit: 1, lease: .milliseconds(200)).first)
            // Not expired yet: nothing to rescue, nobody else can claim it.
            #expect(try await queue.rescue(silence: .seconds(60)) == RescueReport(requeued: 0, dead: 0))
            #expect(try await queue.claim(worker: fast, jobs: [testJob], limit: 1, lease: .seconds(30)).isEmpty)

            try await Task.sleep(for: .milliseconds(400))
            #expect(try await queue.rescue(silence: .seconds(60)) == RescueReport(requeued: 1, dead: 0))
            let second = try #require(try await queue.claim(worker: fast, jobs: [testJob], limit: 1, lease: .seconds(30)).first)
            #expect(second.id == first.id)
            #expect(second.attempt == 2)
            #expect(second.lease.token != first.lease.token)

            #expect(try await queue.complete(first.lease, result: Array("late".utf8)) == false)
            #expect(try await queue.fail(first.lease, error: "late failure") == .refused)
            #expect(try await queue.complete(second.lease, result: Array("fresh".utf8)))
            // Reporting the accepted result again (a reply lost on the way) is still accepted.
            #expect(try await queue.complete(second.lease, result: Array("fresh".utf8)))
            #expect(try await queue.complete(first.lease, result: Array("late".utf8)) == false)

            let results = try await queue.results(run: run)
            #expect(results.count == 1)
            #expect(results[0].state == .done)
            #expect(results[0].result == Array("fresh".utf8))
            #expect(results[0].attempts == 2)
        }
    }

    @Test func aSilentWorkerLosesItsLeasesAndTheErrorNamesIt() async throws {
        try await withQueue { queue, _ in
            let run = try await submit(queue, chunks: 2, maxAttempts: 1)
            let worker = try await queue.registerWorker(host: "node-7", pid: 4242, jobs: [testJob])
            let claimed = try await queue.claim(worker: worker, jobs: [testJob], limit: 2, lease: .seconds(300))
            #expect(claimed.count == 2)
            try await Task.sleep(for: .milliseconds(300))
            // The lease has long to run, but the worker has not heartbeaten for 300 ms.
            #expect(try await queue.rescue(silence: .milliseconds(100)) == RescueReport(requeued: 0, dead: 2))
            let failures = try await queue.failures(run: run)
            #expect(failures.count == 2)
            #expect(failures.allSatisfy { $0.state == .dead && $0.error.contains("node-7") && $0.error.contains("4242") })
            #expect(failures[0].error.contains("stopped heartbeating"))
            #expect(try #require(try await queue.status(run: run)).isFinished)
        }
    }

    @Test func heartbeatsKeepLeasesAndSayWhichAreStillHeld() async throws {
        try await withQueue { queue, _ in
            let run = try await submit(queue, chunks: 3)
            let worker = try await queue.registerWorker(host: "h", pid: 1, jobs: [testJob])
            let claimed = try await queue.claim(worker: worker, jobs: [testJob], limit: 2, lease: .milliseconds(300))
            for _ in 0..<6 {
                try await Task.sleep(for: .milliseconds(100))
                #expect(try await queue.heartbeat(worker: worker, lease: .milliseconds(300)) == Set(claimed.map(\.id)))
            }
            #expect(try await queue.rescue(silence: .seconds(10)) == RescueReport(requeued: 0, dead: 0))
            try await queue.cancel(run: run)
            #expect(try await queue.heartbeat(worker: worker, lease: .milliseconds(300)).isEmpty)
            await #expect(throws: ClusterError.unknownWorker(9_999)) {
                try await queue.heartbeat(worker: 9_999, lease: .seconds(1))
            }
        }
    }

    @Test func stoppingReleasesAtOnceWithoutSpendingAnAttempt() async throws {
        try await withQueue { queue, _ in
            let run = try await submit(queue, chunks: 6, maxAttempts: 1)
            let leaving = try await queue.registerWorker(host: "h", pid: 1, jobs: [testJob])
            let staying = try await queue.registerWorker(host: "h", pid: 2, jobs: [testJob])
            let held = try await queue.claim(worker: leaving, jobs: [testJob], limit: 5, lease: .seconds(300))
            #expect(try await queue.release([held[0].lease]) == 1)
            #expect(try await queue.stop(worker: leaving) == 4)
            // With one attempt allowed, a counted attempt would have made them dead instead.
            let taken = try await queue.claim(worker: staying, jobs: [testJob], limit: 10, lease: .seconds(300))
            #expect(taken.count == 6)
            #expect(taken.allSatisfy { $0.attempt == 1 })
            #expect(try await queue.complete(held[1].lease, result: []) == false)
            let accepted = try await queue.complete(taken.map { ChunkCompletion(lease: $0.lease, result: []) })
            #expect(accepted.count == 6)
            #expect(try #require(try await queue.status(run: run)).chunks(.done) == 6)
        }
    }
}
