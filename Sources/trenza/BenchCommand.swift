import ArgumentParser
import Foundation
import Trenza
import TrenzaBench

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engines: per-item dispatch cost and CPU-bound speed-up.",
        discussion: """
            Workloads (select with --only):
              overhead  start-up of each engine, then tiny jobs (x → x²) through warm pools: items/s per \
            engine, unchunked and, for processes, in chunks
              cpu       the tutorial's tarea_intensiva (§3.1) over [1, 2, 3, 4]: sequential vs each engine
            Build with -c release for figures worth quoting. scripts/bench-engines.sh runs this side by \
            side with Python's multiprocessing and concurrent.futures and the tutorial's own §3.1 program.
            """
    )

    enum Workload: String, CaseIterable, ExpressibleByArgument {
        case overhead, cpu
    }

    @Option(help: "Comma-separated workloads: overhead, cpu (default: all).", transform: BenchCommand.parseWorkloads)
    var only: [Workload] = Workload.allCases

    @Option(name: [.customShort("j"), .long], help: "Width of every engine.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Tiny jobs per dispatch measurement.")
    var items: Int = 200_000

    @Option(help: "Inputs per message for the chunked processes measurement.")
    var chunkSize: Int = 10_000

    @Option(help: "Loop steps of tarea_intensiva (the tutorial uses 10,000,000).")
    var steps: Int = 10_000_000

    @Option(help: "Runs per CPU figure; the best is kept.")
    var repeats: Int = 3

    @Flag(help: "Print the figures as JSON on stdout.")
    var json = false

    static func parseWorkloads(_ text: String) throws -> [Workload] {
        try text.split(separator: ",").map { name in
            guard let workload = Workload(rawValue: String(name).trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown workload \"\(name)\"; choose from \(Workload.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            return workload
        }
    }

    func validate() throws {
        guard jobs > 0, jobs <= 1024 else { throw ValidationError("-j/--jobs must be between 1 and 1024.") }
        guard items > 0 else { throw ValidationError("--items must be positive.") }
        guard chunkSize > 0 else { throw ValidationError("--chunk-size must be positive.") }
        guard steps > 0, steps <= 1_000_000_000 else { throw ValidationError("--steps must be between 1 and 1,000,000,000.") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive.") }
    }

    struct Report: Codable {
        var cores: Int
        var width: Int
        var startup: [EngineMeasurement] = []
        var dispatch: [EngineMeasurement] = []
        var cpu: CPUComparison?
    }

    func run() async throws {
        var report = Report(cores: ProcessInfo.processInfo.activeProcessorCount, width: jobs)
        let progress: (String) -> Void = { line in if !json { Terminal.err(line) } }
        if only.contains(.overhead) {
            for engine in Engine.allCases {
                progress("start-up: \(engine)…")
                report.startup.append(await EngineBenchmarks.startup(engine: engine, width: jobs))
            }
            for (engine, chunk) in [(Engine.threads, 1), (.async, 1), (.processes, 1), (.processes, chunkSize)] {
                progress("dispatch: \(engine)\(chunk > 1 ? " in chunks of \(chunk)" : "")…")
                report.dispatch.append(try await EngineBenchmarks.dispatch(engine: engine, width: jobs, items: items, chunkSize: chunk))
            }
        }
        if only.contains(.cpu) {
            progress("cpu: tarea_intensiva × [1, 2, 3, 4], \(steps) steps, best of \(repeats)…")
            report.cpu = await EngineBenchmarks.cpu(steps: steps, width: jobs, repeats: repeats)
        }

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            Terminal.out(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report)
        }
        let failed = report.dispatch.contains { $0.failures > 0 } || report.startup.contains { $0.failures > 0 }
            || report.cpu.map { !$0.resultsMatch } == true
        if failed {
            Terminal.err("some results were wrong: see the failures column")
            throw ExitCode(1)
        }
    }

    private func print(_ report: Report) {
        Terminal.out("Trenza engines on \(report.cores) cores, width \(report.width)")
        if !report.startup.isEmpty {
            Terminal.out("\nStart-up (pool creation to first result)")
            for m in report.startup {
                Terminal.out("  \(m.engine.padding(toLength: 10, withPad: " ", startingAt: 0)) \(String(format: "%9.2f ms", m.seconds * 1000))")
            }
        }
        if !report.dispatch.isEmpty {
            Terminal.out("\nDispatch of tiny jobs (x → x²), warm pools")
            Terminal.out("  engine     chunk      items    seconds        items/s  failures")
            for m in report.dispatch {
                Terminal.out("  \(m.engine.padding(toLength: 10, withPad: " ", startingAt: 0)) \(String(format: "%5d %10d %10.3f %14.0f %9d", m.chunkSize, m.items, m.seconds, m.itemsPerSecond, m.failures))")
            }
        }
        if let cpu = report.cpu {
            Terminal.out("\nCPU-bound: tarea_intensiva over \(cpu.numbers), \(cpu.steps) steps each (best of \(repeats))")
            Terminal.out("  sequential  \(String(format: "%8.3f s", cpu.sequentialSeconds))")
            for m in cpu.engines {
                Terminal.out("  \(m.engine.padding(toLength: 10, withPad: " ", startingAt: 0))  \(String(format: "%8.3f s   speed-up %.2f×", m.seconds, cpu.sequentialSeconds / m.seconds))")
            }
            Terminal.out("  results \(cpu.resultsMatch ? "match the closed form on every engine" : "DO NOT MATCH")")
        }
    }
}
