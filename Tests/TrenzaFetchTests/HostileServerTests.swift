import Foundation
import Testing
import Trenza
import TrenzaFetch
import TrenzaTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `trenza fetch` against servers that try to fill its disk, stall it, or send it elsewhere.
@Suite(.serialized) struct HostileServerTests {
    private func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test(arguments: Engine.allCases)
    func endlessBodyStopsAtMaxSize(engine: Engine) async throws {
        let folder = try temporaryFolder()
        let result = try await withHostileServer { base in
            try await trenza(["fetch", "\(base)/endless", "-o", folder, "--max-size", "1M", "--engine", engine.rawValue, "--json"])
        }
        #expect(result.status == 1)
        let line = try #require(jsonLines(result.output).first)
        #expect(line["result"] as? String == "failed")
        let error = try #require(line["error"] as? String)
        #expect(error.contains("--max-size 1 MiB") && error.contains("without announcing a length"), "\(error)")
        #expect(line["attempts"] as? Int == 1, "a file too large is not tried again")
        #expect(listing(folder).isEmpty, "left behind: \(listing(folder))")
    }

    @Test func announcedLengthOverMaxSizeFailsFromTheHeaders() async throws {
        let folder = try temporaryFolder()
        let result = try await withHostileServer { base in
            try await trenza(["fetch", "\(base)/liar", "-o", folder, "--max-size", "500K", "--json"])
        }
        #expect(result.status == 1)
        let line = try #require(jsonLines(result.output).first)
        let error = try #require(line["error"] as? String)
        #expect(error.contains("announced 10737418240 bytes") && error.contains("--max-size 500 KiB"), "\(error)")
        #expect(line["bytes"] as? Int == 0)
        #expect(listing(folder).isEmpty, "left behind: \(listing(folder))")
    }

    @Test func longRetryAfterIsCappedAndShownInJSON() async throws {
        let folder = try temporaryFolder()
        let (url, result) = try await withHostileServer { base in
            let url = "\(base)/busy"
            return (url, try await trenza(["fetch", url, "-o", folder, "--retries", "1", "--max-retry-wait", "0.3", "--json"]))
        }
        #expect(result.status == 1)
        let line = try #require(jsonLines(result.output).first)
        let waits = try #require(line["waits"] as? [[String: Any]])
        #expect(waits.count == 1)
        #expect(waits.first?["attempt"] as? Int == 1)
        #expect(waits.first?["seconds"] as? Double == 0.3)
        let reason = try #require(waits.first?["reason"] as? String)
        #expect(reason.contains("HTTP 503") && reason.contains("99999999") && reason.contains("--max-retry-wait"), "\(reason)")
        // Announced as it starts, on stderr, naming the file.
        let announced = jsonLines(result.error).filter { $0["event"] as? String == "retry-wait" }
        #expect(announced.count == 1)
        #expect(announced.first?["url"] as? String == url && announced.first?["seconds"] as? Double == 0.3)
        #expect((announced.first?["path"] as? String)?.hasPrefix(folder) == true)
    }

    @Test func retryWaitsAreAnnouncedOnTheProgressOutput() async throws {
        let folder = try temporaryFolder()
        let result = try await withServer { base in
            try await trenza(["fetch", "\(base)/fault/unavailable/100?retry-after=2", "-o", folder, "--retries", "2", "--max-retry-wait", "0.2"])
        }
        #expect(result.status == 1)
        let notes = result.error.split(separator: "\n").filter { $0.hasPrefix("waiting 0.20 s before attempt") }
        #expect(notes.count == 2, "\(result.error)")
        #expect(notes.first?.contains("Retry-After") == true && notes.first?.contains("capped at 0.2 s") == true)
    }

    @Test(arguments: ["/to-file", "/to-ftp"])
    func redirectToAnotherSchemeSaysSo(path: String) async throws {
        let folder = try temporaryFolder()
        let result = try await withHostileServer { base in
            try await trenza(["fetch", base + path, "-o", folder, "--json"])
        }
        #expect(result.status == 1)
        let line = try #require(jsonLines(result.output).first)
        let error = try #require(line["error"] as? String)
        let scheme = path == "/to-file" ? "file" : "ftp"
        #expect(error.contains("the scheme \(scheme): was refused"), "\(error)")
        #expect(line["attempts"] as? Int == 1)
        #expect(listing(folder).isEmpty)
    }

    @Test func twoHundredWideOnProcessesUsesAFewWorkers() async throws {
        let folder = try temporaryFolder()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let (status, summary, most) = try await withServer(latency: .milliseconds(500)) { base in
            let urls = (0..<200).map { "\(base)/bytes/2000?seed=\($0)" }
            return try await onOwnThread { () -> (Int32, String, Int) in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: trenzaPath)
                process.arguments = ["fetch"] + urls + ["-o", folder, "--engine", "processes", "-j", "200", "-q"]
                let output = Pipe()
                process.standardOutput = output
                try process.run()
                var most = 0
                // Counted from /proc while the batch runs: the workers are its children.
                while process.isRunning {
                    most = max(most, childCount(of: process.processIdentifier))
                    usleep(10_000)
                }
                let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                return (process.terminationStatus, text, most)
            }
        }
        #expect(status == 0, "\(summary)")
        #expect(listing(folder).count == 200)
        #expect(most >= 1, "no worker process was seen")
        #expect(most <= 2 * cores, "\(most) worker processes for -j 200 on \(cores) cores")
        #expect(summary.contains("200 of 200 files"))
    }
}

/// The processes whose parent is `pid`, from /proc.
private func childCount(of pid: Int32) -> Int {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.reduce(0) { count, entry in
        guard Int32(entry) != nil, let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return count }
        // After the command name in parentheses: state, then the parent's pid.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 && Int32(fields[1]) == pid ? count + 1 : count
    }
}
