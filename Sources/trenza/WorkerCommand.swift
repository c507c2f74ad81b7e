import ArgumentParser
import Dispatch
import Foundation
import Synchronization
import Trenza
import TrenzaCluster
import TrenzaFetch
import TrenzaImaging

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Work for the cluster: claim chunks of runs from a PostgreSQL queue and run them here.",
        discussion: """
            Start one on every machine that should work (any number; they share the queue):
              trenza worker --queue postgresql://trenza@db.example/trenza --engine processes -j 8

            A worker registers itself, claims chunks of the jobs it serves (images and downloads), \
            runs them on its local engine, stores their outcomes, and heartbeats its leases. Input \
            and output paths are the submitter's: every worker must see them (a shared filesystem); \
            a failure names the worker's host. SIGTERM or Ctrl-C hands back the chunks in hand at \
            once (a second one ends the worker without waiting); a worker that vanishes loses its \
            chunks to the others when its lease runs out.

            Without --queue (and without TRENZA_QUEUE) this is the internal worker of a process pool, \
            which serves jobs on stdin/stdout; pools start theirs themselves.
            """
    )

    enum Serves: String, CaseIterable, ExpressibleByArgument {
        case images, fetch
        /// The diagnostic jobs: one that misbehaves on request (the tests' poison inputs), and
        /// x → x² (the benchmarks' tiny inputs).
        case probe
    }

    @Option(help: "The PostgreSQL queue (default: $TRENZA_QUEUE): postgresql://user@host/db or postgresql:///db?host=/socket/dir.")
    var queue: String?

    @Option(name: .long, help: "The local engine that runs the chunks: threads, processes or async.")
    var engine: Engine = .threads

    @Option(name: [.customShort("j"), .long], help: "Width of the local engine (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "The jobs to serve, comma-separated: images, fetch (default: both).",
            transform: { text in
                try text.split(separator: ",").map { name in
                    guard let serves = Serves(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                        throw ValidationError("--serve takes images and fetch, not \"\(name)\".")
                    }
                    return serves
                }
            })
    var serve: [Serves] = [.images, .fetch]

    @Option(help: "Seconds a claimed chunk stays this worker's without a heartbeat (they come a third of it apart); a vanished worker's chunks go to others after at most one and a half of it.")
    var lease: Double = 10

    @Option(help: "Chunks in hand at once (default: twice -j).")
    var chunks: Int?

    @Flag(help: "A line for every chunk claimed and completed, instead of a summary every 10 s.")
    var verbose = false

    @Flag(name: [.short, .long], help: "Only failures and the last line.")
    var quiet = false

    var queueURL: String? { queue ?? ProcessInfo.processInfo.environment["TRENZA_QUEUE"].flatMap { $0.isEmpty ? nil : $0 } }

    /// Whether this run works for a queue (and handles SIGINT and SIGTERM itself).
    var servesQueue: Bool { queueURL != nil }

    func validate() throws {
        guard servesQueue else { return }
        guard jobs > 0, jobs <= 10_000 else { throw ValidationError("-j/--jobs must be between 1 and 10000 (got \(jobs)).") }
        guard lease >= 1, lease <= 3600 else { throw ValidationError("--lease must be between 1 and 3600 seconds (got \(lease)).") }
        if let chunks, chunks < 1 { throw ValidationError("--chunks must be at least 1.") }
        guard !serve.isEmpty else { throw ValidationError("--serve needs at least one of images, fetch.") }
        do { _ = try ClusterConnection.parse(queueURL ?? "") } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        guard let url = queueURL else {
            guard isatty(STDIN_FILENO) == 0 else {
                throw ValidationError("trenza worker needs --queue URL (or TRENZA_QUEUE) to work for a cluster; without it, it speaks a process pool's binary protocol on stdin/stdout.")
            }
            Worker.serve(parent: getppid())
        }
        var clusterJobs: [ClusterJob] = []
        if serve.contains(.images) { clusterJobs.append(ClusterJob(ImageJob.self)) }
        if serve.contains(.fetch) { clusterJobs.append(ClusterJob(FetchJob.self)) }
        if serve.contains(.probe) { clusterJobs += [ClusterJob(ProbeJob.self), ClusterJob(SquareJob.self)] }
        let pool = try Pool(engine: engine, width: jobs, options: .init(setup: ImageWorkerSetup()))
        let log = WorkerLog(verbose: verbose, quiet: quiet)
        let leaseTime = Duration.milliseconds(Int64(lease * 1000))
        let options = ClusterWorker.Options(lease: leaseTime, concurrentChunks: chunks, silence: leaseTime)
        let host = ProcessInfo.processInfo.hostName
        let interrupted = Mutex(false)
        let outcome: Result<Int, any Error> = await ClusterConnection.withResult(url) { queue in
            let worker = ClusterWorker(queue: queue, jobs: clusterJobs, pool: pool, options: options) { log.record($0) }
            if !quiet {
                Terminal.err("trenza worker on \(host) (pid \(getpid())): serving \(clusterJobs.map(\.key.description).joined(separator: ", ")) "
                    + "on \(engine), width \(jobs), from \(try ClusterConnection.parse(url))")
            }
            let task = Task { try await worker.run(host: host) }
            let interrupts = InterruptWatch { signal in
                if !quiet { Terminal.err("\(signal == SIGINT ? "SIGINT" : "SIGTERM"): handing back the chunks in hand…") }
                interrupted.withLock { $0 = true }
                task.cancel()
            }
            defer { interrupts.stop() }
            let reporter = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(10))
                    log.summarise()
                }
            }
            defer { reporter.cancel() }
            return try await task.value
        }
        if interrupted.withLock({ $0 }) {
            // The chunks are back in the queue; an input still running on a thread of the pool
            // (or in one of its processes) is not waited for: its result would be refused.
            log.summarise(final: true)
            Foundation.exit(0)
        }
        await pool.shutdown()
        log.summarise(final: true)
        _ = try outcome.get()
    }
}

/// What a cluster worker reports on stderr: each chunk with `--verbose`, otherwise a line every
/// ten seconds with work done, and always failures and refused completions.
final class WorkerLog: Sendable {
    private struct Totals {
        var chunks = 0
        var items = 0
        var refused = 0
        var sinceChunks = 0
        var sinceItems = 0
        var released = 0
    }

    private let verbose: Bool
    private let quiet: Bool
    private let totals = Mutex(Totals())

    init(verbose: Bool, quiet: Bool) {
        self.verbose = verbose
        self.quiet = quiet
    }

    func record(_ event: ClusterWorker.Event) {
        switch event {
        case .registered(let id):
            if verbose { Terminal.err("registered as worker \(id)") }
        case .claimed(let run, let seq, let items, let attempt):
            if verbose || (attempt > 1 && !quiet) {
                Terminal.err("run \(run) chunk \(seq): claimed, \(items) input\(items == 1 ? "" : "s"), attempt \(attempt)")
            }
        case .completed(let run, let seq, let items, let seconds, let accepted):
            totals.withLock { totals in
                if accepted {
                    totals.chunks += 1; totals.items += items; totals.sinceChunks += 1; totals.sinceItems += items
                } else {
                    totals.refused += 1
                }
            }
            if !accepted {
                Terminal.err("run \(run) chunk \(seq): result refused (its lease was lost; another worker has it)")
            } else if verbose {
                Terminal.err("run \(run) chunk \(seq): \(items) input\(items == 1 ? "" : "s") done in \(String(format: "%.3f", seconds)) s")
            }
        case .failed(let run, let seq, let error, let outcome):
            Terminal.err("run \(run) chunk \(seq) failed (\(outcome)): \(error)")
        case .stopped(let released):
            totals.withLock { $0.released = released }
        }
    }

    func summarise(final: Bool = false) {
        let (totals, line) = self.totals.withLock { totals -> (Totals, Bool) in
            defer { totals.sinceChunks = 0; totals.sinceItems = 0 }
            return (totals, totals.sinceChunks > 0)
        }
        if final {
            if !quiet || totals.released > 0 {
                Terminal.err("stopped: \(totals.chunks) chunks (\(totals.items) inputs) done, \(totals.refused) refused, "
                    + "\(totals.released) handed back")
            }
        } else if line && !quiet && !verbose {
            Terminal.err("\(totals.sinceChunks) chunks (\(totals.sinceItems) inputs) done in the last 10 s; \(totals.chunks) in all")
        }
    }
}

/// SIGINT and SIGTERM as a call instead of the end of the process; a second one ends it at once.
final class InterruptWatch {
    private let sources: [any DispatchSourceSignal]

    init(_ onFirst: @escaping @Sendable (Int32) -> Void) {
        let seen = Mutex(false)
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if seen.withLock({ seen in defer { seen = true }; return seen }) {
                    signal(number, SIG_DFL)
                    raise(number)
                }
                onFirst(number)
            }
            source.resume()
            return source
        }
    }

    func stop() {
        for source in sources { source.cancel() }
    }
}
