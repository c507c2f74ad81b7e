import Foundation
import Synchronization
import Trenza
import TrenzaCluster

/// What `--engine cluster` does for every command: put the batch in the queue as a run (the
/// same command attaches to the same run), say its id, and unless detached follow its progress
/// and stream its outcomes back in input order.
struct ClusterSubmission {
    var queueURL: String
    var detach: Bool
    var showProgress: Bool
    /// What the inputs are called on the progress bar ("images", "files").
    var unit: String

    init(_ options: EngineOptions, output: OutputOptions, unit: String) {
        queueURL = options.queueURL ?? ""
        detach = options.detach
        showProgress = output.showsProgress
        self.unit = unit
    }

    /// The run's id and its outcomes in input order; no outcomes when detached.
    func run<J: Job>(_ job: J, _ inputs: [J.Input]) async throws -> (run: Int64, outcomes: [Outcome<J.Output>]?) {
        try await ClusterConnection.with(queueURL) { queue in
            let run = try await queue.submit(job, inputs, key: try ClusterQueue.contentKey(job, inputs))
            Terminal.err("\(inputs.count) \(unit) \(run.created ? "submitted as" : "attached to") run \(run.id) "
                + "(\(run.chunkCount) chunk\(run.chunkCount == 1 ? "" : "s") of up to \(run.chunkSize)); "
                + "trenza runs show \(run.id) follows it.")
            if !run.created, let status = try await queue.status(run: run.id), status.state == .cancelled {
                Terminal.err("Run \(run.id) was cancelled: its unfinished inputs fail as cancelled. "
                    + "To start this batch over: trenza runs delete \(run.id)")
            }
            if detach { return (run.id, nil) }
            if try await queue.liveWorkers(serving: JobKey(J.name)).isEmpty {
                Terminal.err("No live worker serves \(J.name) yet: the run waits for one (trenza worker --queue URL).")
            }
            let bar = showProgress ? Terminal.progressReporter(total: inputs.count, unit: unit) : nil
            let shown = Mutex(0)
            var outcomes: [Outcome<J.Output>] = []
            outcomes.reserveCapacity(inputs.count)
            let stream = queue.outcomes(of: run.id, as: J.Output.self) { status in
                guard let bar else { return }
                // The bar counts inputs whose chunk is final; which of them failed shows at the end.
                let finished = status.items.filter { $0.key.isFinal }.values.reduce(0, +)
                let new = shown.withLock { shown in
                    defer { shown = max(shown, finished) }
                    return shown..<max(shown, finished)
                }
                for index in new { bar.record(.succeeded(index: index, duration: .zero)) }
            }
            for try await outcome in stream { outcomes.append(outcome) }
            if bar != nil { Terminal.endProgress() }
            return (run.id, outcomes)
        }
    }
}

/// Connections to the cluster's queue from the command line.
enum ClusterConnection {
    static func parse(_ text: String) throws -> QueueURL { try QueueURL(text) }

    static func with<Result: Sendable>(_ text: String, _ body: (ClusterQueue) async throws -> Result) async throws -> Result {
        try await ClusterQueue.withQueue(try parse(text), body)
    }
}

extension ClusterConnection {
    /// `with`, its error kept for after the caller's clean-up.
    static func withResult<Result: Sendable>(_ text: String, _ body: (ClusterQueue) async throws -> Result) async -> Swift.Result<Result, any Error> {
        await capture { try await with(text, body) }
    }

    /// The value or the error of `body`, for clean-up that must come first either way.
    static func capture<Result>(_ body: () async throws -> Result) async -> Swift.Result<Result, any Error> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }
}
