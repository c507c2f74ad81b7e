import Foundation
import PostgresNIO
import Testing
import TrenzaCluster
import TrenzaClusterTestSupport

@Suite("Progress and reconnection", .serialized, needsPostgres, .timeLimit(.minutes(2)))
struct ProgressTests {
    /// Completes every chunk of the queue, a few at a time with pauses, surviving restarts.
    static func work(_ queue: ClusterQueue, pause: Duration) async throws {
        let worker = try await queue.retrying { try await $0.registerWorker(host: "h", pid: 1, jobs: [testJob]) }
        while true {
            let batch = try await queue.retrying { try await $0.claim(worker: worker, jobs: [testJob], limit: 3, lease: .seconds(30)) }
            if batch.isEmpty { return }
            try await Task.sleep(for: pause)
            _ = try await queue.retrying { try await $0.complete(batch.map { ChunkCompletion(lease: $0.lease, result: []) }) }
        }
    }

    @Test func notificationsDriveTheFeedToTheEnd() async throws {
        try await withQueue { queue, _ in
            let run = try await submit(queue, chunks: 30)
            // Polling once a minute: only notifications can bring the updates in time.
            let feed = ProgressFeed(queue: queue, run: run, pollEvery: .seconds(60), coalesce: .milliseconds(5))
            async let worked: Void = Self.work(queue, pause: .milliseconds(30))
            var seen: [Int] = []
            let started = ContinuousClock.now
            for try await status in feed.statuses() {
                seen.append(status.chunks(.done))
            }
            try await worked
            #expect(seen.last == 30)
            #expect(seen == seen.sorted())
            #expect(seen.count > 3)
            #expect(ContinuousClock.now - started < .seconds(20))
        }
    }

    @Test func aRestartedServerIsReconnectedAndTheRunFinishes() async throws {
        try await withQueue { queue, server in
            let run = try await submit(queue, chunks: 60)
            let feed = ProgressFeed(queue: queue, run: run, pollEvery: .milliseconds(500), coalesce: .milliseconds(5))
            async let worked: Void = Self.work(queue, pause: .milliseconds(40))
            var seen: [Int] = []
            var restarted = false
            for try await status in feed.statuses() {
                seen.append(status.chunks(.done))
                if !restarted, status.chunks(.done) >= 15 {
                    restarted = true
                    try server.restart()
                }
            }
            try await worked
            #expect(restarted)
            #expect(seen.last == 60)
            #expect(seen == seen.sorted())
            let status = try #require(try await queue.retrying { try await $0.status(run: run) })
            #expect(status.chunks(.done) == 60 && status.isFinished)
        }
    }

    @Test func theListenerComesBackAfterItsBackendIsTerminated() async throws {
        try await withQueue { queue, _ in
            let run = try await submit(queue, chunks: 20)
            let feed = ProgressFeed(queue: queue, run: run, pollEvery: .seconds(60), coalesce: .milliseconds(5))
            var iterator = feed.statuses().makeAsyncIterator()
            #expect(try await iterator.next()?.chunks(.done) == 0)
            try await Task.sleep(for: .milliseconds(200))
            let terminated = try await scalar(queue, Int.self, """
                SELECT count(*)::int FROM pg_stat_activity, pg_terminate_backend(pid)
                WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()
                """)
            #expect(terminated == 1)
            try await Task.sleep(for: .milliseconds(500))
            async let worked: Void = Self.work(queue, pause: .milliseconds(20))
            var last = 0
            while let status = try await iterator.next() { last = status.chunks(.done) }
            try await worked
            #expect(last == 20)
        }
    }

    @Test func everyConnectionFreesWhatAVanishedClientHolds() async throws {
        try await withQueue(tcp: true) { queue, _ in
            let settings = try await queue.client.query("""
                SELECT current_setting('idle_in_transaction_session_timeout'), current_setting('tcp_keepalives_idle'),
                       current_setting('tcp_keepalives_count'), current_setting('application_name'),
                       (SELECT client_addr::text FROM pg_stat_activity WHERE pid = pg_backend_pid())
                """).collect()
            let (idle, keepalive, count, name, address) = try settings[0].decode((String, String, String, String, String?).self)
            #expect(idle == "5s")
            #expect(keepalive == "15")
            #expect(count == "3")
            #expect(name == "trenza")
            #expect(address == "127.0.0.1/32")
            // A client that vanishes inside a transaction holding a row lock: the server ends
            // that session after the timeout and the lock is free again.
            let run = try await submit(queue, chunks: 1)
            let logger = Logger(label: "test")
            let holder = Task {
                try await queue.client.withConnection { connection in
                    _ = try await connection.query("BEGIN", logger: logger)
                    _ = try await connection.query("SELECT id FROM trenza.chunks WHERE run_id = \(run) FOR UPDATE", logger: logger)
                    try await Task.sleep(for: .seconds(60))
                }
            }
            try await Task.sleep(for: .milliseconds(500))
            let whileHeld = try await scalar(queue, Int.self, "SELECT count(*)::int FROM pg_stat_activity WHERE state = 'idle in transaction'")
            #expect(whileHeld == 1)
            try await Task.sleep(for: .seconds(6))
            let afterTimeout = try await scalar(queue, Int.self, "SELECT count(*)::int FROM pg_stat_activity WHERE state = 'idle in transaction'")
            #expect(afterTimeout == 0)
            let worker = try await queue.registerWorker(host: "h", pid: 1, jobs: [testJob])
            #expect(try await queue.claim(worker: worker, jobs: [testJob], limit: 1, lease: .seconds(5)).count == 1)
            holder.cancel()
        }
    }
}
