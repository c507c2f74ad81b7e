import Foundation
import Testing
import TrenzaTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A process limit is an error or a narrower pool, never a hang: `trenza images` on 8 worker
/// processes, run as an unprivileged user allowed only a few processes (threads count too),
/// inside a pids cgroup as well.
@Suite("Process limits")
struct ProcessLimitTests {
    @Test("under ulimit -u, the batch runs on the workers that could start and ends", arguments: [4, 8])
    func narrowerPool(limit: Int) async throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") || FileManager.default.isExecutableFile(atPath: "/sbin/runuser") else {
            Issue.record("needs root and runuser to run as an unprivileged user")
            return
        }
        let runuser = FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser"
        let root = "/tmp/trenza-limit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try await trenza(["images", "--generate", "6", root + "/in", "--size", "64x48", "--quiet"]).status == 0)
        chmod(root, 0o777)
        chmod(root + "/in", 0o777)
        let command = "ulimit -u \(limit); exec '\(trenzaPath)' images '\(root)/in' -o '\(root)/out' --filters blur --engine processes -j 8 --json"
        let run = try await onOwnThread {
            try runContained(runuser, ["-u", "nobody", "--", "sh", "-c", command], maxProcesses: 64, timeout: 90)
        }
        let result = try #require(run, "no pids cgroup to contain the run")
        #expect(!result.timedOut, "it must end, not hang: \(result.stderr)")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // Threads count against `ulimit -u` too, so eight slots never all get a worker here: the
        // pool must say that it runs narrower, and why.
        #expect(result.stderr.contains("process pool runs on at most"), "\(result.stderr)")
        #expect(result.stdout.contains("\"succeeded\" : 6") || result.stdout.contains("\"succeeded\":6"), "\(result.stdout)")
        let outputs = (try? FileManager.default.contentsOfDirectory(atPath: root + "/out")) ?? []
        #expect(outputs.filter { $0.hasSuffix(".jpg") }.count == 6, "\(outputs)")
        #expect(result.leftBehind == 0)
    }
}
