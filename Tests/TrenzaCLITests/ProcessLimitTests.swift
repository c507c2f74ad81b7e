import Foundation
import Testing
import TrenzaTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A process limit is an error or a narrower pool, never a hang: `trenza images` on 8 worker
/// processes (6 images, so 6 slots), run as an unprivileged user allowed only a few processes
/// (threads count too), inside a pids cgroup as well.
@Suite("Process limits")
struct ProcessLimitTests {
    /// Runs the batch as `nobody` under `ulimit -u limit`; nil where that cannot be arranged.
    private func imagesUnder(limit: Int) async throws -> (run: ContainedRun, outputs: [String])? {
        guard getuid() == 0, let runuser = ["/usr/sbin/runuser", "/sbin/runuser"].first(where: FileManager.default.isExecutableFile) else {
            Issue.record("needs root and runuser to run as an unprivileged user")
            return nil
        }
        let root = "/tmp/trenza-limit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try await trenza(["images", "--generate", "6", root + "/in", "--size", "64x48", "--quiet"]).status == 0)
        chmod(root, 0o777)
        chmod(root + "/in", 0o777)
        // bash, not sh: dash has no `ulimit -u`, and a limit that failed to apply must fail the run.
        let command = "ulimit -u \(limit) || exit 97; exec '\(trenzaPath)' images '\(root)/in' -o '\(root)/out' --filters blur --engine processes -j 8 --json"
        let run = try await onOwnThread {
            try runContained(runuser, ["-u", "nobody", "--", "bash", "-c", command], maxProcesses: 64, timeout: 90)
        }
        let result = try #require(run, "no pids cgroup to contain the run")
        #expect(!result.timedOut, "it must end, not hang: \(result.stderr)")
        #expect(result.status != 97, "the limit was not applied: \(result.stderr)")
        #expect(result.leftBehind == 0)
        let outputs = ((try? FileManager.default.contentsOfDirectory(atPath: root + "/out")) ?? []).filter { $0.hasSuffix(".jpg") }
        return (result, outputs)
    }

    @Test("with room for a few workers, the batch runs on those and says that the pool runs narrower")
    func narrowerPool() async throws {
        guard let (result, outputs) = try await imagesUnder(limit: 16) else { return }
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // Six slots' threads and six workers of two threads each never fit in 16.
        #expect(result.stderr.contains("process pool runs on at most"), "\(result.stderr)")
        #expect(result.stdout.contains("\"succeeded\" : 6") || result.stdout.contains("\"succeeded\":6"), "\(result.stdout)")
        #expect(outputs.count == 6, "\(outputs)")
    }

    @Test("with room for no thread beyond the first few, the program ends at once with the reason, not a silent hang")
    func noRoomForThreads() async throws {
        guard let (result, outputs) = try await imagesUnder(limit: 4) else { return }
        #expect(result.status == 70, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("the system refused the threads this program needs"), "\(result.stderr)")
        #expect(result.stderr.contains("ulimit -u"), "\(result.stderr)")
        #expect(outputs.isEmpty)
    }
}
