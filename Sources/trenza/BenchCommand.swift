import ArgumentParser
import Foundation
import Trenza
import TrenzaBench
import TrenzaCluster

extension BenchWorkload: ExpressibleByArgument {}

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Compare threads, processes and async tasks on this machine, with a report and advice.",
        discussion: """
            Workloads (select with --only; all by default):
              overhead     start-up of each engine, then tiny items (x → x²) through warm pools, \
            unchunked and, for processes, in chunks
              dispatch     tiny items through a Pool with default settings (automatic chunks): map, \
            a stream of generated inputs (rate, peak memory), single submits from 2,000 tasks \
            (rate, p50/p99 latency, threads)
              cpu          the tutorial's tarea_intensiva (§3.1): sequential vs each engine and width
              images       the image filter batch (§9.2) on generated photographs
              io           downloading photos (§9.1) from an in-process trenza serve that answers after a delay
              concurrency  100, 1,000 and 10,000 concurrent waits: a thread per waiter, a task per \
            waiter, capped worker processes; time and memory per waiter
            With --queue URL, the cluster engine (a PostgreSQL queue, workers in this process) runs the \
            dispatch, image and download batches too, and the advice says when a cluster pays.
            CPU-bound workloads run at widths 1, the core count and twice the core count (-j N: N only); \
            downloads at widths 4, 16 and 32. \
            The advice at the end is worked out from the figures just measured.

            --quick takes under a minute on two cores, the full run a few minutes. Build with \
            -c release for figures worth quoting:
              swift run -c release trenza bench --quick --report bench-report
            """
    )

    @Flag(help: "Smaller batches, one run per figure instead of the best of three, processes only up to 1,000 waiters: under a minute.")
    var quick = false

    @Option(help: "Write report.json, report.md and report.html into this folder (created if missing).")
    var report: String?

    @Option(help: "Comma-separated workloads: \(BenchWorkload.allCases.map(\.rawValue).joined(separator: ", ")).",
            transform: BenchCommand.parseWorkloads)
    var only: [BenchWorkload] = BenchWorkload.allCases

    @Option(name: [.customShort("j"), .long], help: "Measure at this width only, instead of 1, the core count and twice it.")
    var jobs: Int?

    @Option(help: "Tiny items per dispatch measurement (default: 20,000 quick, 200,000 full).")
    var items: Int?

    @Option(help: "Items per message in the chunked processes measurement.")
    var chunkSize: Int?

    @Option(help: "Generated inputs of the largest dispatch stream; a tenth as many run too (default: 1,000,000 quick, 10,000,000 full).")
    var streamItems: Int?

    @Option(help: "Single-item submits in the dispatch workload (default: 20,000 quick, 100,000 full).")
    var submits: Int?

    @Option(help: "Concurrent tasks the submits come from (default 2,000).")
    var submitTasks: Int?

    @Option(help: "Loop steps per tarea_intensiva task (the tutorial uses 10,000,000).")
    var steps: Int?

    @Option(help: "Runs per CPU-bound figure; the best is kept.")
    var repeats: Int?

    @Flag(help: "Print the report as JSON on stdout instead of tables.")
    var json = false

    @Option(help: "A PostgreSQL queue (postgresql://… as libpq writes it): the cluster engine runs the dispatch, image and download batches too, its workers in this process. Its runs are left in the queue (trenza runs prune).")
    var queue: String?

    static func parseWorkloads(_ text: String) throws -> [BenchWorkload] {
        try text.split(separator: ",").map { name in
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let workload = BenchWorkload(rawValue: trimmed) else {
                throw ValidationError("unknown workload \"\(trimmed)\"; choose from \(BenchWorkload.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            return workload
        }
    }

    func validate() throws {
        if let jobs { guard jobs > 0, jobs <= 1024 else { throw ValidationError("-j/--jobs must be between 1 and 1024.") } }
        if let items { guard items > 0 else { throw ValidationError("--items must be positive.") } }
        if let chunkSize { guard chunkSize > 0 else { throw ValidationError("--chunk-size must be positive.") } }
        if let streamItems { guard streamItems > 0 else { throw ValidationError("--stream-items must be positive.") } }
        if let submits { guard submits > 0 else { throw ValidationError("--submits must be positive.") } }
        if let submitTasks { guard submitTasks > 0, submitTasks <= 100_000 else { throw ValidationError("--submit-tasks must be between 1 and 100,000.") } }
        if let steps { guard steps > 0, steps <= 1_000_000_000 else { throw ValidationError("--steps must be between 1 and 1,000,000,000.") } }
        if let repeats { guard repeats > 0, repeats <= 100 else { throw ValidationError("--repeats must be between 1 and 100.") } }
        guard !only.isEmpty else { throw ValidationError("--only needs at least one workload.") }
        if let queue {
            do { _ = try QueueURL(queue) } catch { throw ValidationError("\(error)") }
        }
    }

    var plan: BenchPlan {
        var plan = quick ? BenchPlan.quick() : BenchPlan.full()
        plan.workloads = only
        if let jobs {
            plan.widths = [jobs]
            plan.startupWidth = jobs
        }
        if let items { plan.dispatchItems = items }
        if let chunkSize { plan.chunkSize = chunkSize }
        if let streamItems { plan.streamItems = streamItems }
        if let submits { plan.submitItems = submits }
        if let submitTasks { plan.submitTasks = submitTasks }
        if let steps { plan.cpuSteps = steps }
        if let repeats { plan.repeats = repeats }
        plan.queue = queue.flatMap { try? QueueURL($0) }
        return plan
    }

    func run() async throws {
        let plan = self.plan
        if let folder = report {
            // Before measuring: a folder that cannot be made should not cost a whole run.
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw ValidationError("cannot create the report folder \(folder): \(error.localizedDescription)")
            }
        }
        let interactive = Terminal.stderrIsTerminal
        let started = monotonicSeconds()
        let report = try await BenchSuite.run(plan) { step in
            let line = String(format: "[%2d/%d %5.1f s] ", step.number, step.total, monotonicSeconds() - started) + step.description
            if interactive { Terminal.status(line) } else { Terminal.err(line) }
        }
        Terminal.endProgress()

        if let folder = self.report {
            try write(report, to: folder)
        }
        if json {
            Terminal.out(String(decoding: try report.json(), as: UTF8.self))
        } else {
            Terminal.out(TerminalReport.render(report))
        }
        if report.hasFailures {
            Terminal.err("Some items failed or gave wrong results: see the failures column.")
            throw ExitCode(1)
        }
    }

    private func write(_ report: BenchReport, to folder: String) throws {
        let files: [(String, [UInt8])] = [
            ("report.json", Array(try report.json()) + [UInt8(ascii: "\n")]),
            ("report.md", Array(MarkdownReport.render(report).utf8)),
            ("report.html", Array(HTMLReport.render(report).utf8)),
        ]
        for (name, bytes) in files {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(name).path
            do {
                try AtomicFile.write(bytes, to: path)
            } catch {
                Terminal.err("cannot write \(path): \(error)")
                throw ExitCode(1)
            }
        }
        Terminal.err("Report written to \(folder)/report.html (and report.json, report.md).")
    }
}
