import Foundation
import TrenzaTestSupport
import Testing
import TrenzaBench

@Suite("trenza bench, through the built binary")
struct BenchCommandTests {
    @Test("--quick --only overhead: start-up and dispatch on every engine, every item correct, as JSON with advice")
    func quickOverheadJSON() async throws {
        let result = try await trenza(["bench", "--quick", "--only", "overhead", "--json"])
        #expect(result.status == 0, "\(result.error)")
        let report = try BenchReport.decode(json: Data(result.output.utf8))
        #expect(report.mode == "quick")
        #expect(report.sections.map(\.id) == ["overhead.startup", "overhead.dispatch"])
        let startup = try #require(report.sections.first)
        #expect(Set(startup.rows.map(\.engine)) == [.threads, .processes, .async])
        let dispatch = try #require(report.sections.last)
        let widths = BenchPlan.defaultWidths(cores: ProcessInfo.processInfo.activeProcessorCount)
        // Three engines plus chunked processes at each width.
        #expect(dispatch.rows.count == widths.count * 4)
        #expect(Set(dispatch.rows.map(\.width)) == Set(widths))
        #expect(dispatch.rows.allSatisfy { $0.failures == 0 && $0.items == 20_000 && $0.seconds > 0 })
        #expect(dispatch.rows.allSatisfy { ($0.peakMemoryBytes ?? 0) > 0 })
        #expect(report.machine.cores == ProcessInfo.processInfo.activeProcessorCount)
        #expect(!report.hasFailures)
        // Progress goes to stderr, one line per timed run (stderr is not a terminal here).
        let progress = result.error.split(separator: "\n").filter { $0.hasPrefix("[") }
        #expect(progress.count == 3 + widths.count * 4)
        #expect(progress.contains { $0.contains("dispatch: processes in chunks of 1,000") })
    }

    @Test("--report DIR writes report.json, report.md and report.html with the same figures; the table goes to stdout")
    func reportFolder() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-bench-report-\(UUID().uuidString)/nested")
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let result = try await trenza(["bench", "--quick", "--only", "overhead", "-j", "2", "--items", "500", "--report", folder.path])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("Overhead: dispatch of tiny items"))
        #expect(result.output.contains("★ winner:"))
        #expect(result.output.contains("Do the tasks share state?"))
        let report = try BenchReport.decode(json: Data(contentsOf: folder.appendingPathComponent("report.json")))
        let rows = report.sections.flatMap(\.rows)
        #expect(rows.allSatisfy { $0.width == 2 })
        let markdown = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<svg"))
        for row in rows {
            for figure in [BenchFormat.seconds(row.seconds), BenchFormat.rate(row.throughput), row.series] {
                #expect(markdown.contains(figure) && html.contains(figure), "\(figure) is missing")
            }
        }
        #expect(result.error.contains("Report written to \(folder.path)/report.html"))
    }

    @Test("under a thread limit too low for a thread per waiter, threads are left out at that count and the report says why")
    func threadLimit() async throws {
        let result = try await onOwnThread { () throws -> CommandResult in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")  // dash has no ulimit -u
            // 3,000 tasks for this user leaves room for 100 and 1,000 threads, not for 10,000.
            process.arguments = ["-c", "ulimit -u 3000 && exec \"$0\" bench --quick --only concurrency --json", trenzaPath]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return CommandResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self), error: "")
        }
        #expect(result.status == 0)
        let report = try BenchReport.decode(json: Data(result.output.utf8))
        let section = try #require(report.sections.first)
        let threadCounts = section.rows.filter { $0.engine == .threads }.map(\.items)
        #expect(threadCounts == [100, 1_000])
        #expect(section.rows.contains { $0.engine == .async && $0.items == 10_000 && $0.failures == 0 })
        #expect(section.notes.contains { $0.hasPrefix("threads were not run at 10,000 waiters") })
    }

    @Test("--only io: every photo arrives whole on every engine and width, from the bench's own server")
    func downloads() async throws {
        let result = try await trenza(["bench", "--quick", "--only", "io", "--json"], timeout: 300)
        #expect(result.status == 0, "\(result.error)")
        let report = try BenchReport.decode(json: Data(result.output.utf8))
        let section = try #require(report.sections.first)
        #expect(section.id == "io" && section.nature == .ioBound)
        #expect(Set(section.rows.map(\.engine)) == [.threads, .processes, .async])
        #expect(Set(section.rows.map(\.width)) == [4, 16, 32])
        #expect(section.rows.allSatisfy { $0.failures == 0 && $0.items == BenchPlan.quick().downloadCount })
        #expect((section.sequentialSeconds ?? 0) > 0)
    }

    @Test("--only dispatch: default-settings map, a generated stream at two sizes and submits from many tasks, every item checked, no thread per pending submit")
    func dispatchWorkload() async throws {
        let arguments = ["bench", "--quick", "--only", "dispatch", "-j", "2", "--items", "3000", "--stream-items", "20000",
                         "--submits", "3000", "--submit-tasks", "1000", "--json"]
        let result = try await trenza(arguments, timeout: 300)
        #expect(result.status == 0, "\(result.error)")
        let report = try BenchReport.decode(json: Data(result.output.utf8))
        #expect(report.sections.map(\.id) == ["dispatch.map", "dispatch.stream", "dispatch.submit"])
        #expect(!report.hasFailures)
        let map = report.sections[0]
        #expect(map.rows.map(\.series) == ["threads", "processes", "async", "processes (one item per message)"])
        #expect(map.rows.allSatisfy { $0.items == 3_000 && $0.width == 2 })
        #expect(map.inputBytesPerItem == 9 && map.outputBytesPerItem == 9)
        let stream = report.sections[1]
        #expect(stream.rows.map(\.items) == [2_000, 20_000, 2_000, 20_000, 2_000, 20_000])
        #expect(stream.rows.allSatisfy { ($0.peakMemoryBytes ?? 0) > 0 })
        let submit = report.sections[2]
        #expect(Set(submit.rows.map(\.engine)) == [.threads, .processes, .async])
        for row in submit.rows {
            let p50 = try #require(row.latencyP50Seconds), p99 = try #require(row.latencyP99Seconds)
            #expect(p50 > 0 && p50 <= p99)
            let baseline = try #require(row.baselineThreads), peak = try #require(row.peakThreads)
            // 1,000 submits pending at once: a thread each would add a thousand.
            #expect(peak - baseline < 100, "\(row.engine): \(baseline) → \(peak) threads")
        }
        let progress = result.error.split(separator: "\n").filter { $0.hasPrefix("[") }
        var plan = BenchPlan.quick()
        plan.workloads = [.dispatch]
        plan.widths = [2]
        plan.streamItems = 20_000
        #expect(progress.count == plan.stepCount)
    }

    @Test("--only cpu: each row says when every lane had work, and the section what crosses the pipes per item")
    func cpuStartupAndPipeBytes() async throws {
        let result = try await trenza(["bench", "--only", "cpu", "-j", "2", "--steps", "2000000", "--repeats", "1", "--json"])
        #expect(result.status == 0, "\(result.error)")
        let report = try BenchReport.decode(json: Data(result.output.utf8))
        let cpu = try #require(report.sections.first)
        // The input is the task's number and step count; the output one integer.
        #expect((cpu.inputBytesPerItem ?? 0) > 9 && cpu.outputBytesPerItem == 9)
        #expect(cpu.rows.allSatisfy { ($0.startupSeconds ?? 0) > 0 && ($0.startupShare ?? 2) <= 1 })
    }

    @Test("an unknown workload is a usage error")
    func unknownWorkload() async throws {
        let result = try await trenza(["bench", "--only", "gpu"])
        #expect(result.status == 2)
        #expect(result.error.contains("unknown workload \"gpu\""))
    }

    @Test("a report folder that cannot be created is reported, not a crash")
    func unwritableReportFolder() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-bench-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await trenza(["bench", "--quick", "--only", "overhead", "--items", "100", "--report", file.appendingPathComponent("inside").path])
        // Refused before anything is measured.
        #expect(result.status == 2)
        #expect(result.error.contains("cannot create the report folder"))
        #expect(!result.error.contains("start-up:"))
    }
}
