import Foundation
import TrenzaTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Interrupting a batch leaves no worker behind", .serialized)
struct InterruptTests {
    /// Starts a long process-engine batch and waits until both workers are running it.
    private func startLongBatch() async throws -> (Process, [Int32]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: trenzaPath)
        process.arguments = ["probe", "--engine", "processes", "-j", "2", "--count", "4", "--sleep-ms", "60000"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var workers: [Int32] = []
        _ = await eventually(within: 20) {
            workers = children(of: process.processIdentifier)
            return workers.count == 2
        }
        return (process, workers)
    }

    @Test("SIGINT and SIGTERM: the workers are killed and reaped before trenza exits", arguments: [SIGINT, SIGTERM])
    func interrupt(signal: Int32) async throws {
        let (process, workers) = try await startLongBatch()
        #expect(workers.count == 2)
        kill(process.processIdentifier, signal)
        try await onOwnThread { process.waitUntilExit() }
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == signal)
        // trenza reaped them itself before ending: no entry left, not even a zombie.
        for worker in workers { #expect(isReaped(worker), "worker \(worker) outlived trenza") }
    }

    @Test("SIGKILL: the orphaned workers notice and exit by themselves")
    func killed() async throws {
        let (process, workers) = try await startLongBatch()
        #expect(workers.count == 2)
        kill(process.processIdentifier, SIGKILL)
        try await onOwnThread { process.waitUntilExit() }
        #expect(await eventually(within: 2) { workers.allSatisfy { !isRunning($0) } }, "workers still running after their parent was killed")
    }

    @Test("SIGINT in the middle of a bench: its scratch folder of generated photos is removed too")
    func scratchFoldersRemoved() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: trenzaPath)
        process.arguments = ["bench", "--quick", "--only", "images"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let prefix = "trenza-bench-images-\(process.processIdentifier)-"
        let temporary = FileManager.default.temporaryDirectory
        func scratch() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []).filter { $0.hasPrefix(prefix) }
        }
        // Wait until photos are being written into it, so the interrupt lands mid-work.
        let busy = await eventually(within: 60) {
            scratch().contains { folder in
                let inputs = temporary.appendingPathComponent(folder).appendingPathComponent("in").path
                return !((try? FileManager.default.contentsOfDirectory(atPath: inputs)) ?? []).isEmpty
            }
        }
        #expect(busy, "the bench never filled a scratch folder")
        kill(process.processIdentifier, SIGINT)
        try await onOwnThread { process.waitUntilExit() }
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGINT)
        #expect(scratch().isEmpty, "left behind: \(scratch())")
    }
}
