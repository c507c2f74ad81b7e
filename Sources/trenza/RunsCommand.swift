import ArgumentParser
import Foundation
import TrenzaCluster

/// `--queue` for the commands that only talk to the queue.
struct QueueOption: ParsableArguments {
    @Option(help: "The PostgreSQL queue (default: $TRENZA_QUEUE).")
    var queue: String?

    @Flag(help: "Print JSON on stdout.")
    var json = false

    func url() throws -> String {
        guard let url = queue ?? ProcessInfo.processInfo.environment["TRENZA_QUEUE"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw ValidationError("name the queue: --queue postgresql://… or TRENZA_QUEUE.")
        }
        do { _ = try ClusterConnection.parse(url) } catch { throw ValidationError("\(error)") }
        return url
    }
}

struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "The cluster's runs: list them, show one, cancel, delete, prune; and its live workers.",
        discussion: """
            Examples:
              trenza runs --queue postgresql:///trenza?host=/run/postgresql
              trenza runs show 12            (TRENZA_QUEUE names the queue)
              trenza runs cancel 12
              trenza runs delete 12          (a finished or cancelled run: the same command then starts afresh)
              trenza runs prune --older-than 7d
              trenza runs workers
            """,
        subcommands: [List.self, Show.self, Cancel.self, Delete.self, Prune.self, Workers.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The newest runs with their progress.")

        @OptionGroup var queue: QueueOption

        @Option(help: "How many runs.")
        var limit = 20

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be at least 1.") }
        }

        func run() async throws {
            let runs = try await ClusterConnection.with(try queue.url()) { try await $0.listRuns(limit: limit) }
            if queue.json {
                Terminal.out(try RunsReport.json(runs.map(RunsReport.Run.init)))
                return
            }
            guard !runs.isEmpty else {
                Terminal.out("No runs in the queue.")
                return
            }
            Terminal.out("   run  job                    state        inputs      done    failed  created")
            for run in runs { Terminal.out(RunsReport.line(run)) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One run: inputs and chunks by state, and the chunks that failed, with their reasons.")

        @OptionGroup var queue: QueueOption

        @Argument(help: "The run's id.")
        var id: Int64

        @Option(help: "Failed chunks listed at most.")
        var failures = 20

        func run() async throws {
            let (status, failed) = try await ClusterConnection.with(try queue.url()) { queue in
                guard let status = try await queue.status(run: id) else { throw ValidationError("no run \(id) in the queue.") }
                return (status, try await queue.failures(run: id, limit: failures))
            }
            if queue.json {
                Terminal.out(try RunsReport.json(RunsReport.Run(status, failures: failed)))
                return
            }
            for line in RunsReport.details(status, failures: failed) { Terminal.out(line) }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a run: chunks not yet done are cancelled, and results still being worked on will be refused.")

        @OptionGroup var queue: QueueOption

        @Argument(help: "The run's id.")
        var id: Int64

        func run() async throws {
            let stopped = try await ClusterConnection.with(try queue.url()) { queue in
                do {
                    return try await queue.cancel(run: id)
                } catch ClusterError.unknownRun {
                    throw ValidationError("no run \(id) in the queue.")
                }
            }
            Terminal.out("Run \(id) cancelled: \(stopped) chunk\(stopped == 1 ? "" : "s") stopped.")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a finished or cancelled run with its results: the command that made it then starts afresh.")

        @OptionGroup var queue: QueueOption

        @Argument(help: "The run's id.")
        var id: Int64

        func run() async throws {
            let deleted = try await ClusterConnection.with(try queue.url()) { queue in
                do {
                    return try await queue.delete(run: id)
                } catch ClusterError.unknownRun {
                    throw ValidationError("no run \(id) in the queue.")
                }
            }
            guard deleted else {
                Terminal.err("Run \(id) still has inputs to run: cancel it first (trenza runs cancel \(id)).")
                throw ExitCode(1)
            }
            Terminal.out("Run \(id) deleted.")
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete finished runs (with their chunks and results) and long-silent workers.")

        @OptionGroup var queue: QueueOption

        @Option(help: "Only what finished longer ago than this: seconds, or with m, h, d (e.g. 90m, 7d).")
        var olderThan = "7d"

        func validate() throws {
            guard RunsReport.duration(olderThan) != nil else { throw ValidationError("--older-than takes a duration such as 3600, 90m, 12h or 7d (got \(olderThan)).") }
        }

        func run() async throws {
            let age = RunsReport.duration(olderThan) ?? .seconds(7 * 86_400)
            let report = try await ClusterConnection.with(try queue.url()) { try await $0.prune(olderThan: age) }
            Terminal.out("Pruned \(report.runs) run\(report.runs == 1 ? "" : "s") (\(report.chunks) chunks) and \(report.workers) silent worker\(report.workers == 1 ? "" : "s").")
        }
    }

    struct Workers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The live workers: host, pid, jobs, chunks in hand, last heartbeat.")

        @OptionGroup var queue: QueueOption

        func run() async throws {
            let workers = try await ClusterConnection.with(try queue.url()) { try await $0.liveWorkers() }
            guard !workers.isEmpty else {
                Terminal.out("No live workers. Start one with: trenza worker --queue URL")
                return
            }
            Terminal.out("worker  host                  pid  chunks  heartbeat  jobs")
            for worker in workers {
                Terminal.out(String(format: "%6lld  %@ %7d %7d  %7.1f s  %@", worker.id,
                                    worker.host.padding(toLength: 20, withPad: " ", startingAt: 0), worker.pid, worker.running,
                                    -worker.heartbeatAt.timeIntervalSinceNow, worker.jobs.joined(separator: ", ")))
            }
        }
    }
}

/// How `trenza runs` shows runs, as text and JSON.
enum RunsReport {
    struct Run: Encodable {
        struct Failure: Encodable {
            var seq: Int
            var state: String
            var attempt: Int
            var maxAttempts: Int
            var inputs: Int
            var error: String
        }
        var id: Int64
        var key: String?
        var job: String
        var state: String
        var finished: Bool
        var created: Date
        var chunks: Int
        var inputs: Int
        var chunksByState: [String: Int]
        var inputsByState: [String: Int]
        var failures: [Failure]?

        init(_ status: RunStatus) { self.init(status, failures: nil) }

        init(_ status: RunStatus, failures: [ChunkFailure]?) {
            id = status.id
            key = status.key
            job = status.job.description
            state = status.state.rawValue
            finished = status.isFinished
            created = status.createdAt
            chunks = status.chunkCount
            inputs = status.itemCount
            chunksByState = Dictionary(uniqueKeysWithValues: status.chunks.map { ($0.key.rawValue, $0.value) })
            inputsByState = Dictionary(uniqueKeysWithValues: status.items.map { ($0.key.rawValue, $0.value) })
            self.failures = failures?.map {
                Failure(seq: $0.seq, state: $0.state.rawValue, attempt: $0.attempt, maxAttempts: $0.maxAttempts, inputs: $0.itemCount, error: $0.error)
            }
        }
    }

    static func json<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The run's state as a person reads it: finished, cancelled, or how far it got.
    static func phase(_ status: RunStatus) -> String {
        if status.state == .cancelled { return "cancelled" }
        if status.state == .submitting { return "submitting" }
        return status.isFinished ? "finished" : "running"
    }

    static func line(_ run: RunStatus) -> String {
        let failed = run.items(.failed) + run.items(.dead) + run.items(.cancelled)
        return String(format: "%6lld  %@ %@ %9d %9d %9d  %@", run.id, run.job.description.padding(toLength: 22, withPad: " ", startingAt: 0),
                      phase(run).padding(toLength: 11, withPad: " ", startingAt: 0), run.itemCount, run.items(.done), failed,
                      timestamp(run.createdAt))
    }

    static func details(_ run: RunStatus, failures: [ChunkFailure]) -> [String] {
        var lines = ["Run \(run.id): \(run.job), \(phase(run)), created \(timestamp(run.createdAt))"]
        if let key = run.key { lines.append("  key     \(key)") }
        lines.append("  inputs  \(run.itemCount) in \(run.chunkCount) chunk\(run.chunkCount == 1 ? "" : "s")")
        for state in ChunkState.allCases where run.chunks(state) > 0 {
            lines.append("  \(state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(run.items(state)) inputs in \(run.chunks(state)) chunks")
        }
        if !failures.isEmpty {
            lines.append("Chunks with errors:")
            for failure in failures {
                lines.append("  chunk \(failure.seq) (\(failure.itemCount) inputs, \(failure.state.rawValue), attempt \(failure.attempt) of \(failure.maxAttempts)): \(failure.error)")
            }
        }
        return lines
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    /// "90", "90s", "15m", "12h", "7d".
    static func duration(_ text: String) -> Duration? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        var number = Substring(text.lowercased())
        var scale = 1.0
        if let last = number.last, let unit = units[last] {
            scale = unit
            number = number.dropLast()
        }
        guard let value = Double(number), value >= 0, value.isFinite else { return nil }
        return .milliseconds(Int64(value * scale * 1000))
    }
}
