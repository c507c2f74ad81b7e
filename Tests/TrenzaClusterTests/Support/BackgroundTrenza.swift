import Foundation
import Testing
import TrenzaTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A `trenza` process running beside a test (a cluster worker, a submitter), its stdout and
/// stderr in files so that neither can fill a pipe; killed when the test lets go of it.
final class BackgroundTrenza: @unchecked Sendable {
    let arguments: [String]
    private let process = Process()
    private let outputPath: String
    private let errorPath: String

    /// - Parameter launcher: a program and its arguments that run `trenza` (`ip netns exec NAME`).
    init(_ arguments: [String], environment: [String: String] = [:], launcher: [String] = []) throws {
        self.arguments = arguments
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-\(UUID().uuidString)").path
        outputPath = base + ".out"
        errorPath = base + ".err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: launcher.first ?? trenzaPath)
        process.arguments = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [trenzaPath] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: outputPath)
        try? FileManager.default.removeItem(atPath: errorPath)
    }

    var pid: Int32 { process.processIdentifier }
    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var log: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// The exit status (128 + the signal for one that ended it), or nil if still running
    /// after `seconds` (then it is killed).
    func finish(within seconds: Double) async -> Int32? {
        guard await eventually(within: seconds, { !process.isRunning }) else {
            kill(process.processIdentifier, SIGKILL)
            _ = await eventually(within: 5) { !process.isRunning }
            return nil
        }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Waits until the log has a line containing `text`.
    func waitForLog(_ text: String, within seconds: Double) async -> Bool {
        await eventually(within: seconds) { log.contains(text) }
    }
}
