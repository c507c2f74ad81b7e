import Synchronization
import Foundation
import Testing
import TrenzaCluster
import TrenzaClusterTestSupport

@Suite("Retries", .serialized, needsPostgres, .timeLimit(.minutes(2)))
struct RetryTests {
    /// A statement stranded on a connection that never answers (as a server restart can leave
    /// one) ignores cancellation: `retrying` must abandon it at the attempt limit and try again.
    @Test func aStrandedStatementIsAbandonedAndTriedAgain() async throws {
        try await withQueue { queue, _ in
            let attempts = Attempts()
            let value = try await queue.retrying(attemptLimit: .milliseconds(300)) { queue in
                if attempts.next() == 1 {
                    await attempts.strand()
                    return -1
                }
                return try await scalar(queue, Int.self, "SELECT 42::bigint")
            }
            #expect(value == 42)
            #expect(attempts.count == 2)
            #expect(!attempts.strandedReturned, "the second attempt ran while the first was still stranded")
            attempts.release()
        }
    }

    @Test func failuresBackOffThenTheChunkDiesKeepingItsError() async throws {
        try await withQueue { queue, _ in
            let run = try await submit(queue, chunks: 1, maxAttempts: 3)
            let worker = try await queue.registerWorker(host: "h", pid: 1, jobs: [testJob])
            let backoff = RetryBackoff(base: .seconds(1), cap: .seconds(5), jitter: 0)
            for attempt in 1...3 {
                var chunk: ClaimedChunk?
                let deadline = Date().addingTimeInterval(10)
                while chunk == nil, Date() < deadline {
                    chunk = try await queue.claim(worker: worker, jobs: [testJob], limit: 1, lease: .seconds(30)).first
                    if chunk == nil { try await Task.sleep(for: .milliseconds(20)) }
                }
                let claimed = try #require(chunk)
                #expect(claimed.attempt == attempt)
                let before = Date()
                let outcome = try await queue.fail(claimed.lease, error: "disk full on attempt \(attempt)", backoff: backoff)
                let returned = Date()
                if attempt < 3 {
                    guard case .retrying(let after) = outcome else { Issue.record("expected a retry, got \(outcome)"); return }
                    // base × 2^(attempt−1), no jitter: 1 s, then 2 s, from the server's now(), which
                    // lies between the call and its return, whatever the load.
                    let delay = Double(1 << (attempt - 1))
                    #expect(after.timeIntervalSince(before) >= delay - 0.05 && after.timeIntervalSince(returned) <= delay + 0.05,
                            "retry at \(after), call from \(before) to \(returned)")
                    #expect(try await queue.claim(worker: worker, jobs: [testJob], limit: 1, lease: .seconds(30)).isEmpty)
                    #expect(try await queue.failures(run: run).first?.state == .available)
                } else {
                    #expect(outcome == .dead)
                }
            }
            let finished = try await queue.results(run: run)
            #expect(finished.map(\.state) == [.dead])
            #expect(finished[0].error == "disk full on attempt 3")
            #expect(finished[0].attempts == 3)
            let status = try #require(try await queue.status(run: run))
            #expect(status.isFinished && status.chunks(.dead) == 1)
        }
    }

    @Test func aFailureThatRetryingCannotFixFailsAtOnce() async throws {
        try await withQueue { queue, _ in
            let run = try await submit(queue, chunks: 1, maxAttempts: 5)
            let worker = try await queue.registerWorker(host: "h", pid: 1, jobs: [testJob])
            let claimed = try #require(try await queue.claim(worker: worker, jobs: [testJob], limit: 1, lease: .seconds(30)).first)
            #expect(try await queue.fail(claimed.lease, error: "not a JPEG file", retryable: false) == .failed)
            #expect(try await queue.failures(run: run).map(\.state) == [.failed])
            #expect(try await queue.results(run: run).first?.error == "not a JPEG file")
        }
    }

    @Test func aChunkThatKillsEveryWorkerEndsDeadAfterItsLastAttempt() async throws {
        try await withQueue { queue, _ in
            let run = try await submit(queue, chunks: 2, maxAttempts: 2)
            var lost = 0
            for round in 0..<2 {
                let worker = try await queue.registerWorker(host: "crashy", pid: 100 + round, jobs: [testJob])
                let claimed = try await queue.claim(worker: worker, jobs: [testJob], limit: 2, lease: .milliseconds(100))
                // The healthy chunk completes; the poison one's worker dies holding it.
                if let healthy = claimed.first(where: { $0.seq == 1 }) {
                    #expect(try await queue.complete(healthy.lease, result: [1]))
                }
                try await Task.sleep(for: .milliseconds(250))
                let report = try await queue.rescue(silence: .seconds(60))
                lost += report.requeued + report.dead
            }
            #expect(lost == 2)
            let results = try await queue.results(run: run)
            #expect(results.map(\.state) == [.dead, .done])
            #expect(results[0].error?.contains("lost its lease on attempt 2 of 2") == true)
        }
    }
}

/// Counts `retrying`'s attempts and holds the first in a wait that cancellation does not end.
private final class Attempts: Sendable {
    private let state = Mutex<(count: Int, stranded: CheckedContinuation<Void, Never>?, returned: Bool)>((0, nil, false))

    var count: Int { state.withLock { $0.count } }
    var strandedReturned: Bool { state.withLock { $0.returned } }

    func next() -> Int { state.withLock { $0.count += 1; return $0.count } }

    func strand() async {
        await withCheckedContinuation { continuation in state.withLock { $0.stranded = continuation } }
        state.withLock { $0.returned = true }
    }

    func release() { state.withLock { state in defer { state.stranded = nil }; return state.stranded }?.resume() }
}
