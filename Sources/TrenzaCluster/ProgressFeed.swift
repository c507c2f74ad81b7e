import Logging
import PostgresNIO

/// A run's status as it changes, for a progress bar: woken by the NOTIFY that every completion,
/// failure and rescue sends, and by a poll every `pollEvery` in case notifications are lost
/// (the listening connection dropped, the server restarted). Listening resumes with backoff.
public struct ProgressFeed: Sendable {
    public var queue: ClusterQueue
    public var run: Int64
    public var pollEvery: Duration
    /// Notifications that arrive within this window become one status query.
    public var coalesce: Duration

    public init(queue: ClusterQueue, run: Int64, pollEvery: Duration = .seconds(1), coalesce: Duration = .milliseconds(50)) {
        self.queue = queue
        self.run = run
        self.pollEvery = pollEvery
        self.coalesce = coalesce
    }

    /// Statuses that differ from the previous one, ending after the first finished one. Queries
    /// that fail (the server is restarting) are retried at the next wake-up; the sequence throws
    /// only when the run does not exist.
    public func statuses() -> AsyncThrowingStream<RunStatus, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: RunStatus.self)
        let task = Task { [self] in
            do {
                try await follow { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func follow(_ emit: @Sendable (RunStatus) -> Void) async throws {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await queue.listen(on: ClusterQueue.progressChannel, payload: String(run)) { _ in wake.yield() } }
            group.addTask {
                while !Task.isCancelled {
                    wake.yield()
                    try await Task.sleep(for: pollEvery)
                }
            }
            var last: RunStatus?
            for await _ in wakes {
                try await Task.sleep(for: coalesce)
                let status: RunStatus?
                do {
                    // Bounded: a query stranded by a server restart must not stop the feed.
                    status = try await ClusterQueue.withDeadline(.seconds(10), "run \(run)'s status") { [queue, run] in
                        try await queue.status(run: run)
                    }
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    queue.logger.debug("progress query failed, retrying at the next wake-up", metadata: ["error": "\(error)"])
                    continue
                }
                guard let status else { throw ClusterError.unknownRun(run) }
                if status != last {
                    emit(status)
                    last = status
                }
                if status.isFinished { break }
            }
            group.cancelAll()
        }
    }
}
