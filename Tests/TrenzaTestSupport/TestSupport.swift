import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The `trenza` executable that `swift test` builds beside the test bundle: the command line
/// under test, and the worker program of every process-engine test (the test runner itself
/// cannot be one). On Linux the bundle is `.build/<config>/TrenzaPackageTests.xctest`.
public let trenzaPath: String = {
    // Children inherit this: tests crash workers on purpose, and a backtrace of each would bury
    // the test output.
    setenv("SWIFT_BACKTRACE", "enable=no", 1)
    let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var folder = URL(fileURLWithPath: bundle).deletingLastPathComponent()
    for _ in 0..<3 {
        let candidate = folder.appendingPathComponent("trenza").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    return "trenza"
}()

/// Runs blocking work (waiting on a process, a socket) on a thread of its own, never on one of
/// the few threads of Swift's cooperative pool that every other test needs.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Polls `condition` every 20 ms for up to `seconds`; whether it came true.
public func eventually(within seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// An executable that `swift test` builds beside the test bundle (as it does `trenza`).
public func builtExecutable(_ name: String) -> String {
    URL(fileURLWithPath: trenzaPath).deletingLastPathComponent().appendingPathComponent(name).path
}

/// What a contained run did.
public struct ContainedRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Processes still in the container when the program itself had ended (then killed).
    public var leftBehind: Int
    /// Whether the program had to be killed at the time limit.
    public var timedOut: Bool
}

/// Runs a program that might spawn processes without end inside a pids cgroup that allows at
/// most `maxProcesses` tasks (threads count too), so a regression cannot take the machine down:
/// root ignores `ulimit -u`, a cgroup it cannot. Everything left in the cgroup is killed by PID
/// afterwards, and the cgroup removed. `nil` when this machine has no pids cgroup to use.
public func runContained(_ executable: String, _ arguments: [String], maxProcesses: Int = 64, timeout: Double = 60) throws -> ContainedRun? {
    let root = "/sys/fs/cgroup/pids"
    guard FileManager.default.isWritableFile(atPath: root) else { return nil }
    let group = "\(root)/trenza-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: group, withIntermediateDirectories: false)
    defer { removeCgroup(group) }
    try "\(maxProcesses)".write(toFile: "\(group)/pids.max", atomically: false, encoding: .utf8)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", group, executable] + arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let outData = Mutex(Data()), errData = Mutex(Data())
    let readers = [Thread { outData.withLock { $0 = out.fileHandleForReading.readDataToEndOfFile() } },
                   Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }]
    readers.forEach { $0.start() }
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while process.isRunning {
        if Date() > deadline {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            killAll(in: group)
            // A child that is never reaped must not hold the test forever either.
            let reapDeadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < reapDeadline { usleep(20_000) }
            break
        }
        usleep(20_000)
    }
    // Orphans of the program would keep its pipes open; what is left in the group counts.
    let leftBehind = cgroupPIDs(group).count
    killAll(in: group)
    let readDeadline = Date().addingTimeInterval(5)
    while Date() < readDeadline && (outData.withLock { $0.isEmpty } || errData.withLock { $0.isEmpty }) && readers.contains(where: { !$0.isFinished }) {
        usleep(10_000)
    }
    return ContainedRun(
        status: process.isRunning ? -1 : process.terminationStatus,
        stdout: String(decoding: outData.withLock { $0 }, as: UTF8.self),
        stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self),
        leftBehind: leftBehind, timedOut: timedOut)
}

private func cgroupPIDs(_ group: String) -> [Int32] {
    ((try? String(contentsOfFile: "\(group)/cgroup.procs", encoding: .utf8)) ?? "")
        .split(whereSeparator: \.isNewline).compactMap { Int32($0) }
}

private func killAll(in group: String) {
    for _ in 0..<100 {
        let pids = cgroupPIDs(group)
        if pids.isEmpty { return }
        for pid in pids { kill(pid, SIGKILL) }
        usleep(20_000)
    }
}

private func removeCgroup(_ group: String) {
    killAll(in: group)
    for _ in 0..<50 {
        if rmdir(group) == 0 || errno == ENOENT { return }
        usleep(20_000)
    }
}
