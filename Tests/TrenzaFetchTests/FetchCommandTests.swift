import Foundation
import TrenzaTestSupport
import Synchronization
import Testing
import Trenza
import TrenzaFetch

#if canImport(Glibc)
import Glibc
#endif

/// `trenza fetch` as a user runs it: the built binary against the server on a real socket.
@Suite(.serialized) struct FetchCommandTests {
    @Test func jsonLinesSummaryAndExitStatus() async throws {
        let folder = try temporaryFolder()
        let (ok, failed) = try await withServer { base in
            let ok = try await trenza(["fetch", "\(base)/bytes/1234?seed=4", "-o", folder, "--json"])
            let failed = try await trenza(["fetch", "\(base)/bytes/10", "\(base)/fault/status/403/10", "-o", folder, "--json",
                                           "--retry-delay", "0.01"])
            return (ok, failed)
        }
        #expect(ok.status == 0)
        let line = try #require(try JSONSerialization.jsonObject(with: Data(ok.output.utf8)) as? [String: Any])
        #expect(Set(line.keys) == ["url", "path", "bytes", "status", "attempts", "seconds", "result", "error", "waits"])
        #expect(line["bytes"] as? Int == 1234 && line["status"] as? Int == 200 && line["result"] as? String == "downloaded")
        #expect(line["error"] is NSNull)
        #expect(sameBytes(folder + "/bytes-1234.bin", sampleBytes(1234, seed: 4)))
        #expect(ok.error.contains("1 of 1 files"))

        #expect(failed.status == 1)
        let lines = failed.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 2)
        #expect(lines.last?["result"] as? String == "failed" && lines.last?["status"] as? Int == 403)
        #expect(lines.last?["error"] as? String == "HTTP 403 Forbidden" && lines.last?["attempts"] as? Int == 1)
        #expect(failed.error.contains("1 of 2 files") && failed.error.contains("1 failed"))
    }

    @Test func listsFromFilesAndStdinWithCommentsAndChecksums() async throws {
        let folder = try temporaryFolder()
        let listPath = folder + "/urls.txt"
        let result = try await withServer { base in
            let digest = sha256Hex(sampleBytes(500, seed: 1))
            try """
                # two files, one checked
                \(base)/bytes/500?seed=1\tsha256=\(digest)

                \(base)/bytes/600?seed=2
                """.write(toFile: listPath, atomically: true, encoding: .utf8)
            let fromFile = try await trenza(["fetch", "-i", listPath, "-o", folder + "/a", "-q"])
            let fromStdin = try await trenza(["fetch", "-i", "-", "-o", folder + "/b", "-q"], stdin: "\(base)/bytes/700?seed=3\n\(base)/bytes/700?seed=3\n")
            return (fromFile, fromStdin)
        }
        #expect(result.0.status == 0 && result.1.status == 0)
        #expect(listing(folder + "/a").count == 2)
        #expect(sameBytes(folder + "/b/bytes-700.bin", sampleBytes(700, seed: 3)))
        #expect(listing(folder + "/b") == ["bytes-700.bin"])
    }

    @Test func badUsageExitsTwoBeforeAnyDownload() async throws {
        let folder = try temporaryFolder()
        let listPath = folder + "/bad.txt"
        try "http://127.0.0.1:9/a\tsha256=xyz\n".write(toFile: listPath, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["fetch", "http://127.0.0.1:9/a"], "-o/--output"),
            (["fetch", "-o", folder], "at least one URL"),
            (["fetch", "ftp://h/a", "-o", folder], "only http and https"),
            (["fetch", "http://h/a", "-o", folder, "--name-template", "same"], "--name-template"),
            (["fetch", "http://h/a", "-o", folder, "-j", "0"], "-j/--jobs"),
            (["fetch", "-i", listPath, "-o", folder], "bad.txt:1: sha256 must be 64 hex digits"),
        ]
        for (arguments, message) in cases {
            let result = try await trenza(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.error.contains(message), "\(arguments): \(result.error)")
        }
        #expect(listing(folder) == ["bad.txt"])
    }

    @Test func compareRunsEveryEngineAndChecksTheFiles() async throws {
        let folder = try temporaryFolder()
        let result = try await withServer { base in
            try await trenza(["fetch", "-o", folder, "--compare", "-j", "3"] + (1...5).map { "\(base)/bytes/5000?seed=\($0)" })
        }
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("All three engines wrote identical files."))
        for engine in Engine.allCases {
            #expect(result.output.contains("\n\(engine.rawValue) "))
            #expect(listing(folder + "/" + engine.rawValue).count == 5)
        }
    }

    /// A batch killed with SIGKILL (no chance to clean up) and run again ends with every file
    /// complete and correct, and nothing half-written under a final name at any point.
    @Test(arguments: Engine.allCases)
    func killedMidBatchThenRunAgain(engine: Engine) async throws {
        let folder = try temporaryFolder()
        let count = 30
        let (rerun, names) = try await withServer(latency: .milliseconds(100)) { base in
            let urls = (0..<count).map { "\(base)/bytes/300000?seed=\($0)" }
            let names = FileNaming.plan(urls).map { $0.fileName(contentTypeExtension: "bin") }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: trenzaPath)
            process.arguments = ["fetch", "-o", folder, "--engine", engine.rawValue, "-j", "2", "-q"] + urls
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let started = await eventually(within: 20) { listing(folder).filter { $0.hasSuffix(".bin") }.count >= 4 }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(started)
            // Every file under a final name is already whole.
            let finished = listing(folder).filter { $0.hasSuffix(".bin") }
            for name in finished {
                let seed = try #require(names.firstIndex(of: name))
                #expect(sameBytes(folder + "/" + name, sampleBytes(300000, seed: UInt64(seed))), "\(name)")
            }
            #expect(finished.count < count)
            return (try await trenza(["fetch", "-o", folder, "--engine", engine.rawValue, "-j", "4", "--json"] + urls), names)
        }
        #expect(rerun.status == 0, "\(rerun.error)")
        let results = rerun.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(results.count == count)
        #expect(results.contains { $0["result"] as? String == "skipped" })
        for (seed, name) in names.enumerated() {
            #expect(sameBytes(folder + "/" + name, sampleBytes(300000, seed: UInt64(seed))), "seed \(seed)")
        }
        #expect(!listing(folder).contains { $0.hasSuffix(".part") })
    }
}

struct CommandResult: Sendable {
    var status: Int32
    var output: String
    var error: String
}

/// Runs `trenza` to completion on a thread of its own (waiting on a child must not hold one of
/// the cooperative pool's few threads), with `stdin` as its input.
func trenza(_ arguments: [String], stdin: String = "") async throws -> CommandResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Result {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: trenzaPath)
                process.arguments = arguments
                let input = Pipe(), output = Pipe(), error = Pipe()
                process.standardInput = input
                process.standardOutput = output
                process.standardError = error
                try process.run()
                input.fileHandleForWriting.write(Data(stdin.utf8))
                try input.fileHandleForWriting.close()
                // Both pipes drain while it runs, so a chatty command cannot fill one and stall.
                let errorData = ErrorDrain(error.fileHandleForReading)
                let outputData = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return CommandResult(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                                     error: String(decoding: errorData.wait(), as: UTF8.self))
            })
        }.start()
    }
}

/// Reads a pipe to its end on another thread.
private final class ErrorDrain: Sendable {
    private let data = Mutex(Data())
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread { [self] in
            let all = handle.readDataToEndOfFile()
            data.withLock { $0 = all }
            done.signal()
        }.start()
    }

    func wait() -> Data {
        done.wait()
        return data.withLock { $0 }
    }
}

