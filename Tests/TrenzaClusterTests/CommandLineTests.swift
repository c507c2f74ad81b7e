import Foundation
import Synchronization
import Testing
import Trenza
import TrenzaCluster
import TrenzaClusterTestSupport
import Logging
import TrenzaServer
import TrenzaTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `trenza worker --queue` processes, killed, stopped and starved of their database.
func startWorkers(_ count: Int, _ url: QueueURL, serve: String, jobs: Int = 1, lease: Double = 2,
                  engine: String = "threads") throws -> [BackgroundTrenza] {
    try (0..<count).map { _ in
        try BackgroundTrenza(["worker", "--queue", "\(url)", "--serve", serve, "--engine", engine, "-j", "\(jobs)",
                              "--lease", "\(lease)", "--verbose"])
    }
}

/// Runs `trenza` to the end; its status, stdout and stderr.
func runTrenza(_ arguments: [String], within seconds: Double = 120) async throws -> (status: Int32?, output: String, log: String) {
    let process = try BackgroundTrenza(arguments)
    let status = await process.finish(within: seconds)
    return (status, process.output, process.log)
}

/// The files of a folder and their bytes.
func contents(of folder: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: folder) where !name.hasPrefix(".") {
        files[name] = FileManager.default.contents(atPath: folder + "/" + name)
    }
    return files
}

func scratchFolder() throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-cluster-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder
}

@Suite("The cluster from the command line: real trenza worker processes", .serialized, needsPostgres, .timeLimit(.minutes(5)))
struct CommandLineTests {
    @Test("kill -9 of one of three workers mid-chunk: the run completes, one result per image, files byte-identical to --engine threads")
    func killedWorker() async throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let generated = try await runTrenza(["images", "--generate", "9", "\(folder)/in", "--size", "1200x900", "--quiet"])
        #expect(generated.status == 0, "\(generated.log)")
        let reference = try await runTrenza(["images", "\(folder)/in", "-o", "\(folder)/threads", "--filters", "blur,contrast,grayscale", "--engine", "threads", "--quiet"])
        #expect(reference.status == 0, "\(reference.log)")

        try await withQueue { queue, server in
            let workers = try startWorkers(3, server.socketURL, serve: "images")
            let submitter = try BackgroundTrenza(["images", "\(folder)/in", "-o", "\(folder)/cluster", "--filters", "blur,contrast,grayscale",
                                                  "--engine", "cluster", "--queue", "\(server.socketURL)", "--json"])
            #expect(await workers[0].waitForLog("claimed", within: 60), "\(workers[0].log)")
            workers[0].signal(SIGKILL)
            #expect(await workers[0].finish(within: 10) == 128 + SIGKILL)
            let status = await submitter.finish(within: 120)
            #expect(status == 0, "\(submitter.log)\n\(workers[1].log)")

            struct Report: Decodable { struct Item: Decodable { var ok: Bool; var destination: String? }; var images: [Item]; var succeeded: Int; var run: Int64? }
            let report = try JSONDecoder().decode(Report.self, from: Data(submitter.output.utf8))
            #expect(report.succeeded == 9 && report.images.count == 9 && report.images.allSatisfy(\.ok))
            #expect(try contents(of: "\(folder)/cluster") == contents(of: "\(folder)/threads"))
            // The killed worker held a chunk it never finished: that chunk ran again elsewhere.
            let run = try #require(report.run)
            let retried = try await scalar(queue, Int.self, "SELECT count(*)::int FROM trenza.chunks WHERE run_id = \(run) AND attempt > 1")
            #expect(retried >= 1, "\(workers[0].log)")
            let notDone = try await scalar(queue, Int.self, "SELECT count(*)::int FROM trenza.chunks WHERE run_id = \(run) AND state <> 'done'")
            #expect(notDone == 0)
            for worker in workers.dropFirst() { worker.signal(SIGTERM) }
            for worker in workers.dropFirst() { #expect(await worker.finish(within: 20) == 0, "\(worker.log)") }
        }
    }

    @Test("fetch over the cluster: two workers download into the shared folder, files identical to --engine threads; a second run finds them complete")
    func fetchOverCluster() async throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configuration = DemoServer.Configuration(host: "127.0.0.1", port: 0, shutdownTimeout: .milliseconds(200))
        let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        try await DemoServer.withRunning(configuration, logger: quiet) { address in
            let urls = (1...12).map { "\(address.url)/id/\($0)/320/240" } + ["\(address.url)/status/404"]
            let reference = try await runTrenza(["fetch"] + urls + ["-o", "\(folder)/threads", "--engine", "threads", "--quiet"])
            #expect(reference.status == 1, "\(reference.log)")
            try await withQueue { _, server in
                let workers = try startWorkers(2, server.socketURL, serve: "fetch", jobs: 4, engine: "async")
                let fetched = try await runTrenza(["fetch"] + urls + ["-o", "\(folder)/cluster", "--engine", "cluster", "--queue", "\(server.socketURL)", "--json"])
                #expect(fetched.status == 1, "the 404 fails: \(fetched.log)")
                let lines = fetched.output.split(separator: "\n")
                #expect(lines.count == 13 && lines.filter { $0.contains("\"result\":\"downloaded\"") }.count == 12, "\(fetched.output)")
                #expect(fetched.log.contains("12 of 13 files") && fetched.log.contains("cluster"), "\(fetched.log)")
                #expect(lines.contains { $0.contains("404") && $0.contains("(on ") } || fetched.output.contains("404"), "\(fetched.output)")
                #expect(try contents(of: "\(folder)/cluster") == contents(of: "\(folder)/threads"))
                // The same command attaches to the finished run: nothing is downloaded again.
                let again = try await runTrenza(["fetch"] + urls + ["-o", "\(folder)/cluster", "--engine", "cluster", "--queue", "\(server.socketURL)"])
                #expect(again.log.contains("attached to run"), "\(again.log)")
                for worker in workers { worker.signal(SIGTERM) }
                for worker in workers { #expect(await worker.finish(within: 20) == 0, "\(worker.log)") }
            }
        }
    }

    @Test("SIGTERM hands a running chunk back at once, without counting the attempt, and the worker exits 0")
    func sigtermReleases() async throws {
        try await withQueue { queue, server in
            let workers = try startWorkers(1, server.socketURL, serve: "probe", lease: 60)
            let run = try await queue.submit(ProbeJob(), [ProbeJob.Action.sleep(milliseconds: 60_000, value: 1)], chunkSize: 1)
            #expect(await workers[0].waitForLog("claimed", within: 30), "\(workers[0].log)")
            let before = ContinuousClock.now
            workers[0].signal(SIGTERM)
            #expect(await workers[0].finish(within: 10) == 0, "\(workers[0].log)")
            #expect(ContinuousClock.now - before < .seconds(5))
            let status = try #require(try await queue.status(run: run.id))
            #expect(status.chunks(.available) == 1, "\(status)")
            let attempt = try await scalar(queue, Int.self, "SELECT attempt FROM trenza.chunks WHERE run_id = \(run.id)")
            #expect(attempt == 0)
            #expect(workers[0].log.contains("1 handed back"), "\(workers[0].log)")
            try await queue.cancel(run: run.id)
        }
    }

    @Test("an input that crashes its worker fails alone, named with the signal and the host; the rest of the run is done")
    func poisonInput() async throws {
        try await withQueue { queue, server in
            let workers = try startWorkers(2, server.socketURL, serve: "probe", jobs: 2, lease: 2)
            var inputs = (0..<20).map { ProbeJob.Action.echo($0) }
            inputs[9] = .abort
            let (run, outcomes) = try await queue.map(ProbeJob(), inputs, chunkSize: 7)
            #expect(outcomes.count == 20)
            for (index, outcome) in outcomes.enumerated() where index != 9 {
                #expect(outcome.output?.value == index, "input \(index): \(outcome)")
            }
            let failure = try #require(outcomes[9].failure, "\(outcomes[9])")
            #expect(failure.message.contains("signal"), "\(failure.message)")
            #expect(failure.message.contains(ProcessInfo.processInfo.hostName), "\(failure.message)")
            let status = try #require(try await queue.status(run: run))
            #expect(status.isFinished && status.chunks(.done) == 3, "\(status)")
            // One worker died of the poison input; the one that took the chunk over isolated it.
            let crashed = workers.filter { !$0.isRunning }
            #expect(crashed.count == 1)
            for worker in workers where worker.isRunning { worker.signal(SIGTERM) }
            for worker in workers { _ = await worker.finish(within: 20) }
        }
    }

    @Test("eight workers over 100,000 tiny inputs: every chunk claimed once, every result right and in order")
    func eightWorkers() async throws {
        try await withQueue { queue, server in
            let workers = try startWorkers(8, server.socketURL, serve: "probe", lease: 10)
            let inputs = (0..<100_000).map { ProbeJob.Action.echo($0) }
            let (run, outcomes) = try await queue.map(ProbeJob(), inputs)
            #expect(outcomes.count == inputs.count)
            #expect(outcomes.enumerated().allSatisfy { $1.output?.value == $0 })
            // A chunk that ran twice at once would have been claimed twice: its attempt would show it.
            let claims = try await scalar(queue, [Int].self, "SELECT array_agg(DISTINCT attempt)::bigint[] FROM trenza.chunks WHERE run_id = \(run)")
            #expect(claims == [1])
            let pids = Set(outcomes.compactMap { $0.output?.processID })
            #expect(pids.isSubset(of: Set(workers.map(\.pid))))
            #expect(pids.count >= 2, "the work was shared: \(pids.count) workers took part")
            for worker in workers { worker.signal(SIGTERM) }
            for worker in workers { #expect(await worker.finish(within: 20) == 0, "\(worker.log)") }
            #expect(!workers.contains { $0.log.contains("result refused") })
        }
    }

    @Test("PostgreSQL restarted mid-run: workers and submitter reconnect, progress never goes back, the run finishes")
    func serverRestart() async throws {
        try await withQueue { queue, server in
            let workers = try startWorkers(2, server.socketURL, serve: "probe", jobs: 2, lease: 10)
            let inputs = (0..<300).map { ProbeJob.Action.sleep(milliseconds: 20, value: $0) }
            let seen = Mutex<[Int]>([])
            let mapping = Task {
                try await queue.map(ProbeJob(), inputs, chunkSize: 5) { status in
                    seen.withLock { $0.append(status.items(.done)) }
                }
            }
            #expect(await eventually(within: 30) { seen.withLock { ($0.last ?? 0) > 0 } })
            try server.restart()
            let (_, outcomes) = try await mapping.value
            #expect(outcomes.enumerated().allSatisfy { $1.output?.value == $0 })
            let progress = seen.withLock { $0 }
            #expect(progress == progress.sorted(), "\(progress)")
            #expect(progress.last == 300)
            let running = workers.filter(\.isRunning).count
            #expect(running == 2, "\(workers.map(\.log))")
            for worker in workers { worker.signal(SIGTERM) }
            for worker in workers { #expect(await worker.finish(within: 20) == 0, "\(worker.log)") }
        }
    }

    @Test("trenza runs lists, shows, cancels and prunes; --detach submits and returns; the same command attaches to the same run")
    func runsCommand() async throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try await runTrenza(["images", "--generate", "3", "\(folder)/in", "--size", "64x48", "--quiet"]).status == 0)
        try await withQueue { queue, server in
            let url = "\(server.socketURL)"
            let submit = ["images", "\(folder)/in", "-o", "\(folder)/out", "--filters", "blur", "--engine", "cluster", "--queue", url, "--detach"]
            let first = try await runTrenza(submit)
            #expect(first.status == 0, "\(first.log)")
            #expect(first.log.contains("3 images submitted as run "), "\(first.log)")
            let again = try await runTrenza(submit)
            #expect(again.log.contains("3 images attached to run "), "\(again.log)")
            let run = try #require(try await queue.listRuns().first)
            #expect(try await queue.listRuns().count == 1)

            let list = try await runTrenza(["runs", "--queue", url])
            #expect(list.status == 0 && list.output.contains("images.process@1") && list.output.contains("running"), "\(list.output)\(list.log)")
            let shown = try await runTrenza(["runs", "show", "\(run.id)", "--queue", url, "--json"])
            struct Shown: Decodable { var id: Int64; var inputs: Int; var inputsByState: [String: Int] }
            let decoded = try JSONDecoder().decode(Shown.self, from: Data(shown.output.utf8))
            #expect(decoded.id == run.id && decoded.inputs == 3 && decoded.inputsByState["available"] == 3)

            let cancelled = try await runTrenza(["runs", "cancel", "\(run.id)", "--queue", url])
            #expect(cancelled.status == 0 && cancelled.output.contains("3 chunks stopped"), "\(cancelled.output)\(cancelled.log)")
            let details = try await runTrenza(["runs", "show", "\(run.id)", "--queue", url])
            #expect(details.output.contains("cancelled"), "\(details.output)")
            let unknown = try await runTrenza(["runs", "show", "999999", "--queue", url])
            #expect(unknown.status == 2 && unknown.log.contains("no run 999999"), "\(unknown.log)")

            let reattached = try await runTrenza(submit)
            #expect(reattached.log.contains("was cancelled") && reattached.log.contains("trenza runs delete \(run.id)"), "\(reattached.log)")
            let deleted = try await runTrenza(["runs", "delete", "\(run.id)", "--queue", url])
            #expect(deleted.status == 0 && deleted.output.contains("Run \(run.id) deleted."), "\(deleted.output)\(deleted.log)")
            let afresh = try await runTrenza(submit)
            #expect(afresh.log.contains("3 images submitted as run "), "\(afresh.log)")
            let busy = try #require(try await queue.listRuns().first)
            let refused = try await runTrenza(["runs", "delete", "\(busy.id)", "--queue", url])
            #expect(refused.status == 1 && refused.log.contains("cancel it first"), "\(refused.log)")
            try await queue.cancel(run: busy.id)

            let pruned = try await runTrenza(["runs", "prune", "--older-than", "0", "--queue", url])
            #expect(pruned.status == 0 && pruned.output.contains("Pruned 1 run"), "\(pruned.output)\(pruned.log)")
            #expect(try await queue.listRuns().isEmpty)
        }
    }

    @Test("trenza bench --queue adds the cluster to the dispatch and image rows, checked, and the advice reads its figures")
    func benchWithQueue() async throws {
        try await withQueue { _, server in
            let bench = try await runTrenza(["bench", "--quick", "--only", "overhead,images", "-j", "1", "--items", "2000",
                                             "--queue", "\(server.socketURL)", "--json"], within: 300)
            #expect(bench.status == 0, "\(bench.log)")
            struct Report: Decodable {
                struct Section: Decodable { struct Row: Decodable { var engine: String; var failures: Int; var items: Int }; var id: String; var rows: [Row] }
                struct Advice: Decodable { var question: String; var findings: [String]; var recommendation: String }
                var sections: [Section]
                var advice: [Advice]
            }
            let report = try JSONDecoder().decode(Report.self, from: Data(bench.output.utf8))
            for id in ["overhead.dispatch", "images"] {
                let section = try #require(report.sections.first { $0.id == id })
                let cluster = section.rows.filter { $0.engine == "cluster" }
                #expect(cluster.count == 1 && cluster[0].failures == 0 && cluster[0].items > 0, "\(id): \(section.rows)")
            }
            let advice = try #require(report.advice.first { $0.question.contains("cluster") })
            #expect(advice.findings.count == 2 && advice.recommendation.contains("per input"), "\(advice)")
        }
    }

    @Test("bad usage: --engine cluster without a queue, a malformed URL, --detach on a local engine")
    func badUsage() async throws {
        let noQueue = try await runTrenza(["images", "x.png", "-o", "out", "--filters", "blur", "--engine", "cluster"])
        #expect(noQueue.status == 2 && noQueue.log.contains("needs a queue"), "\(noQueue.log)")
        let badURL = try await runTrenza(["fetch", "http://127.0.0.1:9/a", "-o", "out", "--engine", "cluster", "--queue", "mysql://x"])
        #expect(badURL.status == 2 && badURL.log.contains("bad queue URL"), "\(badURL.log)")
        let detached = try await runTrenza(["images", "x.png", "-o", "out", "--filters", "blur", "--detach"])
        #expect(detached.status == 2 && detached.log.contains("--detach is for --engine cluster"), "\(detached.log)")
        let runs = try await runTrenza(["runs"])
        #expect(runs.status == 2 && runs.log.contains("name the queue"), "\(runs.log)")
    }
}
