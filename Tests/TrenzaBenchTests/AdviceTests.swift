import Foundation
import Testing
@testable import TrenzaBench

@Suite("Advice follows the figures")
struct AdviceTests {
    static let machine = MachineInfo(cores: 2, memoryBytes: 8 << 30, operatingSystem: "Test OS", kernel: "Linux", cpuModel: nil,
                                     swiftVersion: "6.3.1", buildConfiguration: "release", date: "2026-11-24T21:00:00Z")

    static func report(_ sections: BenchSection...) -> BenchReport {
        BenchReport(machine: machine, mode: "quick", totalSeconds: 1, sections: sections)
    }

    /// A CPU-bound section where each engine ran 8 tasks in the given seconds at width 2.
    static func cpu(threads: Double, processes: Double, async: Double, sequential: Double = 1.0) -> BenchSection {
        BenchSection(id: "cpu", workload: .cpu, title: "CPU test", summary: "", nature: .cpuBound, unit: "tasks", sequentialSeconds: sequential,
                     rows: [(BenchEngine.threads, threads), (.processes, processes), (.async, async)].map {
                         BenchRow(engine: $0.0, width: 2, items: 8, seconds: $0.1)
                     })
    }

    /// Concurrent waits: per count, each engine's seconds and peak memory in MB above a 10 MB baseline.
    static func waits(_ levels: [Int: [String: (seconds: Double, megabytes: Int)]]) -> BenchSection {
        var rows: [BenchRow] = []
        for count in levels.keys.sorted() {
            for engine in [BenchEngine.threads, .processes, .async] {
                guard let figure = levels[count]?[engine.rawValue] else { continue }
                rows.append(BenchRow(engine: engine, width: engine == .processes ? min(count, 32) : count, items: count, seconds: figure.seconds,
                                     baselineMemoryBytes: 10_000_000, peakMemoryBytes: 10_000_000 + figure.megabytes * 1_000_000))
            }
        }
        return BenchSection(id: "concurrency", workload: .concurrency, title: "Waits", summary: "", nature: .ioBound, sweep: .items,
                            unit: "waiters", idealSeconds: 0.05, rows: rows)
    }

    static func dispatch(threads: Double, processes: Double, chunked: Double? = nil) -> BenchSection {
        var rows = [BenchRow(engine: .threads, width: 2, items: 10_000, seconds: threads),
                    BenchRow(engine: .processes, width: 2, items: 10_000, seconds: processes),
                    BenchRow(engine: .async, width: 2, items: 10_000, seconds: threads * 2)]
        if let chunked { rows.append(BenchRow(engine: .processes, variant: "chunks of 100", width: 2, items: 10_000, seconds: chunked)) }
        return BenchSection(id: "overhead.dispatch", workload: .overhead, title: "Dispatch", summary: "", nature: .dispatch, unit: "items", rows: rows)
    }

    static func advice(_ report: BenchReport, _ question: BenchAdvice.Question) throws -> BenchAdvice {
        try #require(report.advice.first { $0.question == question })
    }

    @Test("CPU-bound: the fastest engine is recommended, whichever it is")
    func cpuWinnerChanges() throws {
        let threadsWin = try Self.advice(Self.report(Self.cpu(threads: 0.5, processes: 0.8, async: 0.6)), .workKind)
        #expect(threadsWin.recommendation.contains("CPU-bound work → threads"))
        #expect(threadsWin.findings.contains { $0.hasPrefix("CPU test: threads was fastest, 2.00× the sequential speed at width 2 on 2 cores") })
        #expect(threadsWin.findings.contains { $0.hasPrefix("Threads beat processes by 60%") })
        #expect(threadsWin.findings.contains("The tutorial sends CPU-bound work to processes because Python's GIL serialises threads; here processes ran at 62% of the speed of threads."))

        let processesWin = try Self.advice(Self.report(Self.cpu(threads: 0.9, processes: 0.5, async: 0.9)), .workKind)
        #expect(processesWin.recommendation.contains("CPU-bound work → processes"))
        #expect(processesWin.findings.contains { $0.hasPrefix("Processes beat threads by 80%") })
        #expect(processesWin != threadsWin)
    }

    @Test("CPU-bound: threads and processes within noise are called a tie; no speed-up is called out")
    func cpuTieAndNoSpeedUp() throws {
        let tie = try Self.advice(Self.report(Self.cpu(threads: 0.50, processes: 0.52, async: 0.9)), .workKind)
        #expect(tie.findings.contains { $0.hasPrefix("Threads and processes were within 4% of each other") })
        #expect(tie.findings.contains("CPU test: threads was fastest, 2.00× the sequential speed at width 2 on 2 cores; processes within 10%."))
        #expect(tie.recommendation.contains("CPU-bound work → threads or processes;"))
        #expect(!tie.findings.contains { $0.hasPrefix("The tutorial sends") })
        #expect(!tie.findings.contains { $0.contains("even 1.2× faster") })

        let flat = try Self.advice(Self.report(Self.cpu(threads: 0.95, processes: 1.0, async: 0.97)), .workKind)
        #expect(flat.findings.contains("CPU test: no engine was even 1.2× faster than sequential: the items are too small for the lanes to pay for themselves."))
        var busy = Self.report(Self.cpu(threads: 0.95, processes: 1.0, async: 0.97))
        busy.machine.loadAverage = 4.4
        let crowded = try Self.advice(busy, .workKind)
        #expect(crowded.findings.contains("CPU test: no engine was even 1.2× faster than sequential: other programs kept the cores busy (load average 4.4 on 2 cores at the start)."))
    }

    @Test("CPU-bound: widths beyond the core count are called out only when they lost")
    func widerThanCores() throws {
        var section = Self.cpu(threads: 0.5, processes: 0.6, async: 0.55)
        section.rows.append(BenchRow(engine: .threads, width: 4, items: 8, seconds: 0.8))
        let lost = try Self.advice(Self.report(section), .workKind)
        #expect(lost.findings.contains { $0.hasPrefix("More lanes than the 2 cores did not help: the best run at width 4") })
        section.rows[section.rows.count - 1].seconds = 0.45
        let won = try Self.advice(Self.report(section), .workKind)
        #expect(!won.findings.contains { $0.hasPrefix("More lanes than") })
    }

    @Test("I/O-bound: if processes win the waits, the advice says processes")
    func ioWinnerChanges() throws {
        let asyncWins = Self.waits([
            100: ["threads": (0.055, 1), "processes": (0.30, 600), "async": (0.051, 1)],
            10_000: ["threads": (0.6, 130), "processes": (16, 620), "async": (0.07, 8)],
        ])
        let usual = try Self.advice(Self.report(asyncWins), .workKind)
        #expect(usual.recommendation.contains("I/O-bound work → async"))
        #expect(usual.findings.contains { $0.hasPrefix("Waits: at 10,000 waiters async finished first, in 70.0 ms (the wait alone is 50.0 ms)") })

        let processesWin = Self.waits([
            100: ["threads": (0.3, 1), "processes": (0.06, 600), "async": (0.4, 1)],
            10_000: ["threads": (3, 130), "processes": (0.9, 620), "async": (2, 8)],
        ])
        let unusual = try Self.advice(Self.report(processesWin), .workKind)
        #expect(unusual.recommendation.contains("I/O-bound work → processes"))
        #expect(!unusual.recommendation.contains("async"))
    }

    @Test("I/O-bound downloads swept by width: the winner at the widest shared width, against sequential")
    func downloads() throws {
        func section(threads: Double, processes: Double, async: Double) -> BenchSection {
            BenchSection(id: "io", workload: .io, title: "Downloads", summary: "", nature: .ioBound, unit: "photos", sequentialSeconds: 3.2,
                         rows: [4, 32].flatMap { width in
                             [(BenchEngine.threads, threads), (.processes, processes), (.async, async)].map {
                                 BenchRow(engine: $0.0, width: width, items: 64, seconds: $0.1 * (width == 4 ? 4 : 1))
                             }
                         })
        }
        let asyncFirst = try Self.advice(Self.report(section(threads: 0.3, processes: 0.8, async: 0.2)), .workKind)
        #expect(asyncFirst.findings.contains("Downloads: at width 32 async finished first, in 200 ms; threads 300 ms, processes 800 ms."))
        #expect(asyncFirst.recommendation.contains("I/O-bound work → async"))
        let threadsFirst = try Self.advice(Self.report(section(threads: 0.15, processes: 0.8, async: 0.2)), .workKind)
        #expect(threadsFirst.recommendation.contains("I/O-bound work → threads."))
        // A tie within noise names both, fastest first.
        let tie = try Self.advice(Self.report(section(threads: 0.2, processes: 0.8, async: 0.19)), .workKind)
        #expect(tie.recommendation.contains("I/O-bound work → async or threads."))
    }

    @Test("concurrency: where the engines part ways and what a waiter costs come from the figures")
    func concurrencyScale() throws {
        let calmAtHundred = Self.waits([
            100: ["threads": (0.055, 1), "processes": (0.07, 600), "async": (0.051, 1)],
            1_000: ["threads": (0.07, 12), "processes": (1.7, 610), "async": (0.055, 1)],
            10_000: ["threads": (0.6, 130), "async": (0.07, 10)],
        ])
        let first = try Self.advice(Self.report(calmAtHundred), .concurrency)
        #expect(first.findings.contains { $0.hasPrefix("Up to 100 concurrent waiters every engine finished within 1.50×") })
        #expect(first.findings.contains("At 1,000 waiters, threads and async finished within 1.50× of the fastest (55.0 ms); processes took 30.9× as long (1.70 s)."))
        #expect(first.findings.contains("From 10,000 waiters only async keeps up: 70.0 ms, against threads 600 ms."))
        #expect(first.findings.contains { $0.hasPrefix("Memory per waiter at 10,000 waiters: threads 12.7 KiB, async 1000 B; async needs 13.0× less than threads") })
        #expect(first.findings.contains { $0.hasPrefix("Processes were capped at 32 workers") })
        #expect(first.recommendation == "Concurrent waiters: up to 100: any engine; up to 1,000: threads and async; at 10,000: async, the fastest there.")

        let spreadFromTheStart = Self.waits([
            100: ["threads": (0.2, 1), "async": (0.051, 1)],
            10_000: ["threads": (0.6, 10), "async": (0.9, 130)],
        ])
        let second = try Self.advice(Self.report(spreadFromTheStart), .concurrency)
        #expect(!second.findings.contains { $0.hasPrefix("Up to") })
        #expect(second.findings.contains("At 100 waiters, async finished within 1.50× of the fastest (51.0 ms); threads took 3.92× as long (200 ms)."))
        #expect(!second.findings.contains { $0.hasPrefix("From ") })
        #expect(second.findings.contains { $0.contains("threads needs 13.0× less than async") })
        #expect(second.recommendation == "Concurrent waiters: at 10,000: threads, the fastest there.")
    }

    @Test("shared state: the cost of crossing a process boundary is quoted, and the threshold follows it")
    func sharedState() throws {
        let expensive = try Self.advice(Self.report(Self.dispatch(threads: 0.01, processes: 0.2, chunked: 0.03)), .sharedState)
        #expect(expensive.findings.contains { $0.contains("20.0 µs per item, 20.0× the thread pool's cost") })
        #expect(expensive.recommendation.contains("each item takes well over 2.00 ms"))
        #expect(expensive.findings.contains { $0.hasPrefix("Sent in chunks of 100, processes reached 333,333/s instead of 50,000/s") })

        let cheaper = try Self.advice(Self.report(Self.dispatch(threads: 0.01, processes: 0.04)), .sharedState)
        #expect(cheaper.recommendation.contains("each item takes well over 400 µs"))

        let free = try Self.advice(Self.report(Self.dispatch(threads: 0.01, processes: 0.0105)), .sharedState)
        #expect(free.recommendation.contains("at no measurable cost here"))
    }

    @Test("questions without figures say which workload would answer them")
    func nothingMeasured() throws {
        let report = Self.report()
        #expect(try Self.advice(report, .workKind).recommendation.contains("CPU-bound work was not measured (--only cpu,images)"))
        #expect(try Self.advice(report, .concurrency).recommendation.contains("--only concurrency"))
        #expect(try Self.advice(report, .sharedState).recommendation.contains("--only overhead"))
    }

    @Test("failed rows never win and are never recommended")
    func failuresDoNotWin() throws {
        var section = Self.cpu(threads: 0.3, processes: 0.6, async: 0.5)
        section.rows[0].failures = 1
        #expect(section.winner?.engine == .async)
        let advice = try Self.advice(Self.report(section), .workKind)
        #expect(advice.recommendation.contains("CPU-bound work → async"))
    }

    /// An image-like CPU section: threads and processes over 16 items at width 2, with what
    /// crossed the pipes per item and the workers' start-up.
    static func images(threads: Double, processes: Double, startup: Double, inputBytes: Double, outputBytes: Double) -> BenchSection {
        BenchSection(id: "images", workload: .images, title: "Images", summary: "", nature: .cpuBound, unit: "images", sequentialSeconds: 2,
                     rows: [BenchRow(engine: .threads, width: 2, items: 16, seconds: threads, startupSeconds: 0.0001),
                            BenchRow(engine: .processes, width: 2, items: 16, seconds: processes, startupSeconds: startup),
                            BenchRow(engine: .async, width: 2, items: 16, seconds: threads * 1.5, startupSeconds: 0.0001)],
                     inputBytesPerItem: inputBytes, outputBytesPerItem: outputBytes)
    }

    @Test("processes losing CPU work: the bytes per item and the start-up share are quoted, and what they do not explain is said to be unexplained")
    func lossExplainedFromFigures() throws {
        // A tiny item's round trip: 10,000 items in 0.2 s at width 2 is 20 µs.
        let unexplained = try Self.advice(Self.report(Self.dispatch(threads: 0.01, processes: 0.2),
                                                      Self.images(threads: 1.0, processes: 1.6, startup: 0.06, inputBytes: 310, outputBytes: 180)), .workKind)
        #expect(unexplained.findings.contains("Threads beat processes by 60% (16/s against 10/s images)."))
        #expect(unexplained.findings.contains("Per item, 310 B went to a worker and 180 B came back (7.66 KiB for all 16 images); at the 20.0 µs a tiny item's round trip cost (overhead workload), sending them took about 320 µs, 0% of the processes' wall time."))
        #expect(unexplained.findings.contains("Starting the 2 worker processes took 60.0 ms, 4% of their 1.60 s."))
        #expect(unexplained.findings.contains("Of the 600 ms processes lost, start-up and sending account for 60.2 ms; the other 540 ms is not explained by anything this bench measured — not by copying data through pipes, with 490 B per item."))
        // The old advice blamed copying images through pipes; the job sends paths.
        #expect(!unexplained.findings.contains { $0.contains("copying images through pipes") || $0.contains("costs more than it buys") })

        let startupBound = try Self.advice(Self.report(Self.dispatch(threads: 0.01, processes: 0.2),
                                                       Self.images(threads: 0.1, processes: 0.16, startup: 0.055, inputBytes: 310, outputBytes: 180)), .workKind)
        #expect(startupBound.findings.contains("Start-up accounts for 55.2 ms of the 60.0 ms processes lost: it is paid once per pool, so a Pool kept for many batches loses far less."))
        #expect(!startupBound.findings.contains { $0.contains("not explained") })
    }

    @Test("without the overhead figures no sending cost is estimated; large messages are never called cheap")
    func lossWithoutRoundTrip() throws {
        let alone = try Self.advice(Self.report(Self.images(threads: 1.0, processes: 1.6, startup: 0.06, inputBytes: 310, outputBytes: 180)), .workKind)
        #expect(alone.findings.contains("Per item, 310 B went to a worker and 180 B came back (7.66 KiB for all 16 images)."))
        #expect(alone.findings.contains("Of the 600 ms processes lost, start-up accounts for 59.9 ms; the other 540 ms is not explained by anything this bench measured — not by copying data through pipes, with 490 B per item."))

        let large = try Self.advice(Self.report(Self.dispatch(threads: 0.01, processes: 0.2),
                                                Self.images(threads: 1.0, processes: 1.6, startup: 0.06, inputBytes: 6_220_800, outputBytes: 180)), .workKind)
        #expect(large.findings.contains { $0.hasPrefix("Per item, 5.93 MiB went to a worker and 180 B came back (94.9 MiB for all 16 images).") })
        #expect(large.findings.contains("Of the 600 ms processes lost, start-up accounts for 59.9 ms; the other 540 ms is not explained by anything this bench measured."))

        // A win or a tie needs no explaining, only the figures.
        let tie = try Self.advice(Self.report(Self.images(threads: 1.0, processes: 1.02, startup: 0.06, inputBytes: 310, outputBytes: 180)), .workKind)
        #expect(tie.findings.contains("Starting the 2 worker processes took 60.0 ms, 6% of their 1.02 s."))
        #expect(!tie.findings.contains { $0.contains("processes lost") })
    }

    @Test("default-settings dispatch is quoted against one item per message and threads")
    func defaultSettingsDispatch() throws {
        let section = BenchSection(id: "dispatch.map", workload: .dispatch, title: "Defaults", summary: "", nature: .throughput, unit: "items",
                                   rows: [BenchRow(engine: .threads, width: 2, items: 1_000_000, seconds: 0.5),
                                          BenchRow(engine: .processes, width: 2, items: 1_000_000, seconds: 0.25),
                                          BenchRow(engine: .async, width: 2, items: 1_000_000, seconds: 1),
                                          BenchRow(engine: .processes, variant: "one item per message", width: 2, items: 1_000_000, seconds: 40)])
        let advice = try Self.advice(Self.report(section), .sharedState)
        #expect(advice.findings.contains("With every setting at its default (automatic chunks), processes reached 4,000,000/s on tiny items at width 2, 160.0× their rate at one item per message; threads 2,000,000/s."))

        // With the one-item round trip measured too, the advice follows what the defaults give.
        let both = try Self.advice(Self.report(Self.dispatch(threads: 0.01, processes: 0.2), section), .sharedState)
        #expect(both.recommendation.contains("processes at any size with the default automatic chunks (250 ns per tiny item here)"), "\(both.recommendation)")
        #expect(both.recommendation.contains("with chunkSize 1, only when each item takes well over 2.00 ms"), "\(both.recommendation)")
    }
}

