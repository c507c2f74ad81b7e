import Synchronization
import Foundation
import PostgresNIO

extension ClusterQueue {
    /// Runs `operation` again, with exponential backoff and jitter, while it fails because the
    /// connection or the server went away (a restart, a failover), for up to `patience`. Other
    /// errors, and the last one, are thrown. Every queue operation is safe to repeat this way:
    /// a completion whose reply was lost is accepted again, and the rest are idempotent or
    /// harmless twice. (A claim whose reply was lost leaves its chunks leased to nobody who
    /// knows it: they come back when the lease expires, with one attempt spent.)
    ///
    /// Each attempt gets `attemptLimit`: a statement that a server restart left stranded on a
    /// connection that never answers is abandoned then and tried again on another, instead of
    /// holding its caller (a worker, a submitter's results) until the socket's keepalive gives up.
    public func retrying<Result: Sendable>(
        patience: Duration = .seconds(60),
        attemptLimit: Duration = .seconds(30),
        _ operation: @escaping @Sendable (ClusterQueue) async throws -> Result
    ) async throws -> Result {
        let clock = ContinuousClock()
        let deadline = clock.now + patience
        var delay = Duration.milliseconds(50)
        while true {
            do {
                return try await Self.withDeadline(attemptLimit, "a queue statement") { [self] in try await operation(self) }
            } catch {
                let stranded = if case ClusterError.timedOut = error { true } else { false }
                guard stranded || Self.isTransient(error), clock.now + delay < deadline else { throw error }
                logger.debug("queue unreachable, retrying", metadata: ["error": "\(error)", "delay": "\(delay)"])
                try await Task.sleep(for: delay * Double.random(in: 0.5...1))
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    /// Whether an error means "the database is not reachable just now" rather than "this
    /// statement is wrong".
    public static func isTransient(_ error: any Error) -> Bool {
        if error is ClusterError || error is CancellationError { return false }
        guard let error = error as? PSQLError else {
            // Refused or reset sockets surface as NIO's errors when a connection is being made.
            return error is NIOConnectionError || error is ChannelError || error is IOError
        }
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            return true
        case .server:
            // Class 08: connection exceptions; 57P01–57P03: admin shutdown, crash shutdown,
            // cannot connect now (starting up or shutting down); 40001/40P01: serialization
            // failure and deadlock, which a repeat resolves.
            guard let state = error.serverInfo?[.sqlState] else { return false }
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "40001", "40P01"].contains(state)
        default:
            return false
        }
    }

    /// `operation`'s result, or ``ClusterError/timedOut(_:)`` after `limit`. The operation is
    /// cancelled then, but not waited for: a request that a server restart left stranded in a
    /// connection that never answers must not hold its caller with it.
    static func withDeadline<Result: Sendable>(
        _ limit: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let race = DeadlineRace<Result>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
                race.start(continuation, operation: operation)
                race.arm(Task {
                    guard (try? await Task.sleep(for: limit)) != nil else { return }
                    race.settle(.failure(ClusterError.timedOut(what)))
                })
            }
        } onCancel: {
            race.settle(.failure(CancellationError()))
        }
    }
}

/// Whichever of an operation and its deadline ends first resumes the caller; the loser is
/// cancelled and forgotten. The timer is cancelled as soon as the race is settled: every queue
/// statement runs one, and a sleeping timer left behind per statement would pile up by the
/// thousand on a busy worker.
private final class DeadlineRace<Result: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
        var settled: Swift.Result<Result, any Error>?
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<Result, any Error>, operation: @escaping @Sendable () async throws -> Result) {
        let work = Task { [self] in
            do {
                settle(.success(try await operation()))
            } catch {
                settle(.failure(error))
            }
        }
        let early = state.withLock { state -> Swift.Result<Result, any Error>? in
            state.work = work
            if let settled = state.settled { return settled }
            state.continuation = continuation
            return nil
        }
        if let early {
            work.cancel()
            continuation.resume(with: early)
        }
    }

    /// Hands over the deadline's timer, cancelled at once if the race is already settled.
    func arm(_ timer: Task<Void, Never>) {
        let settled = state.withLock { state -> Bool in
            state.timer = timer
            return state.settled != nil
        }
        if settled { timer.cancel() }
    }

    func settle(_ result: Swift.Result<Result, any Error>) {
        let (continuation, work, timer) = state.withLock { state -> (CheckedContinuation<Result, any Error>?, Task<Void, Never>?, Task<Void, Never>?) in
            guard state.settled == nil else { return (nil, nil, nil) }
            state.settled = result
            defer { state.continuation = nil }
            return (state.continuation, state.work, state.timer)
        }
        timer?.cancel()
        continuation?.resume(with: result)
        if continuation != nil, case .failure = result { work?.cancel() }
    }
}
