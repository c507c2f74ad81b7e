import ArgumentParser
import Foundation
import Trenza

extension Engine: ExpressibleByArgument {}

/// Where a command's batch runs: one of the local engines, or the cluster's workers.
enum EngineChoice: String, CaseIterable, ExpressibleByArgument, CustomStringConvertible {
    case threads, processes, async, cluster

    /// The local engine, or nil for the cluster.
    var local: Engine? { Engine(rawValue: rawValue) }
    var description: String { rawValue }
}

/// `--engine`, `-j`, `--queue` and `--detach`: shared by every command that runs a batch.
struct EngineOptions: ParsableArguments {
    @Option(name: .long, help: "Where the work runs: threads, processes, async, or cluster (trenza worker processes on any machines, through --queue).")
    var engine: EngineChoice = .threads

    @Option(name: [.customShort("j"), .long], help: "Width: threads, worker processes or tasks in flight at once (default: the number of cores; 8 for downloads). On the cluster, each worker's own -j counts.")
    var jobs: Int?

    @Option(help: "The cluster's PostgreSQL queue, as libpq writes it: postgresql://user@host/db or postgresql:///db?host=/socket/dir (default: $TRENZA_QUEUE).")
    var queue: String?

    @Flag(help: "Cluster: return once the inputs are in the queue; `trenza runs show ID` follows the run, and running the same command again attaches to it.")
    var detach = false

    /// The width, with the command's own default.
    func width(default fallback: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int { jobs ?? fallback }

    /// The queue URL from `--queue` or `TRENZA_QUEUE`.
    var queueURL: String? { queue ?? ProcessInfo.processInfo.environment["TRENZA_QUEUE"].flatMap { $0.isEmpty ? nil : $0 } }

    func validate() throws {
        if let jobs {
            guard jobs > 0 else { throw ValidationError("-j/--jobs must be at least 1 (got \(jobs)).") }
            guard jobs <= 100_000 else { throw ValidationError("-j/--jobs \(jobs) is beyond the limit of 100000.") }
        }
        if engine == .cluster {
            guard let url = queueURL else {
                throw ValidationError("--engine cluster needs a queue: --queue postgresql://… or TRENZA_QUEUE (scripts/postgres-local.sh starts one on this machine).")
            }
            do { _ = try ClusterConnection.parse(url) } catch { throw ValidationError("\(error)") }
        } else {
            guard !detach else { throw ValidationError("--detach is for --engine cluster: a local batch ends with its process.") }
        }
    }
}

/// `--json` and `--quiet`: how a command reports.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print a machine-readable summary (JSON) on stdout.")
    var json = false

    @Flag(name: [.short, .long], help: "Print only failures and the summary.")
    var quiet = false

    /// Whether a progress bar or progress lines go to stderr.
    var showsProgress: Bool { !json && !quiet }
}
