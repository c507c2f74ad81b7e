import Foundation
import TrenzaTestSupport

#if canImport(Glibc)
import Glibc
#endif


struct CommandResult: Sendable {
    var status: Int32
    var output: String
    var error: String
}


/// Runs `trenza` with `arguments` to completion and captures what it printed.
func trenza(_ arguments: [String], timeout: Double = 120) async throws -> CommandResult {
    try await onOwnThread { try runTrenza(arguments, timeout: timeout) }
}

private func runTrenza(_ arguments: [String], timeout: Double) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: trenzaPath)
    process.arguments = arguments
    let stdout = Pipe(), stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Drain both pipes while it runs, so a chatty command cannot fill one and stall.
    let outputData = Locked(Data()), errorData = Locked(Data())
    let group = DispatchGroup()
    for (pipe, sink) in [(stdout, outputData), (stderr, errorData)] {
        group.enter()
        DispatchQueue.global().async {
            sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
    }
    if group.wait(timeout: .now() + timeout) == .timedOut {
        process.terminate()
        group.wait()
    }
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         output: String(decoding: outputData.get(), as: UTF8.self),
                         error: String(decoding: errorData.get(), as: UTF8.self))
}

final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func set(_ newValue: Value) { lock.lock(); value = newValue; lock.unlock() }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
}

/// The pids of `parent`'s direct children, read from /proc.
func children(of parent: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 2 && Int32(fields[1]) == parent
    }
}

/// True while `pid` exists and is not a zombie (a dead process not yet reaped by its parent).
func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: close)...].split(separator: " ").first
    return state != "Z"
}

/// True once `pid` has no /proc entry at all: it ended and was reaped.
func isReaped(_ pid: Int32) -> Bool {
    !FileManager.default.fileExists(atPath: "/proc/\(pid)")
}

