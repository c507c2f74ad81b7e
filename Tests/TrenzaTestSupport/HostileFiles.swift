import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The files of Tests/Fixtures/hostile_images.py, made once per test process in a folder of its
/// own (a few kilobytes, left for the system's temporary-file cleaning).
public func hostileImagesFolder() throws -> String {
    try hostileImages.get()
}

public struct HostileFilesError: Error, CustomStringConvertible {
    public var description: String
}

private let hostileImages: Result<String, HostileFilesError> = Result { () throws(HostileFilesError) in
    let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("trenza-hostile-\(UUID().uuidString)").path
    let process = Process()
    process.executableURL = repository.appendingPathComponent("scripts/with-pillow.sh")
    process.arguments = [repository.appendingPathComponent("Tests/Fixtures/hostile_images.py").path, folder]
    let errors = Pipe()
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        throw HostileFilesError(description: "could not run hostile_images.py: \(error)")
    }
    let stderr = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw HostileFilesError(description: "hostile_images.py failed (\(process.terminationStatus)): "
            + String(decoding: stderr, as: UTF8.self))
    }
    return folder
}

/// How much the peak resident memory of this process grew while `body` ran, in KiB, or nil where
/// the kernel cannot reset the peak (anything but Linux). Other tests running at the same time
/// count too, so assert only a generous bound.
public func peakMemoryGrowth<T>(_ body: () throws -> T) rethrows -> (result: T, kibibytes: Int?) {
    let before = statusField("VmRSS")
    // "5" resets the high-water mark to the current size (proc(5), /proc/pid/clear_refs).
    let reset = (try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)) != nil
    let result = try body()
    guard reset, let before, let peak = statusField("VmHWM") else { return (result, nil) }
    return (result, max(0, peak - before))
}

private func statusField(_ name: String) -> Int? {
    // stdio, not String(contentsOfFile:): /proc files report a size of 0, and Foundation may read
    // that many bytes.
    guard let file = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix(name + ":") {
            return Int(text.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
    }
    return nil
}

/// What a measured run did.
public struct MeasuredRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// The largest resident size of the program or any process it waited for, in KiB.
    public var peakKibibytes: Int
    public var seconds: Double
    public var timedOut: Bool
}

/// Runs a program to completion, or kills it (by its pid) after `timeout` seconds, and reports
/// its peak resident memory from `wait4`: the figure covers the program and the children it
/// reaped, such as the process engine's workers.
public func runMeasured(_ executable: String, _ arguments: [String], timeout: Double = 60) throws -> MeasuredRun {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-run-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let outPath = folder + "/stdout", errPath = folder + "/stderr"

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let started = Date()
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard spawned == 0 else {
        throw HostileFilesError(description: "could not start \(executable): \(String(cString: strerror(spawned)))")
    }
    var status: Int32 = 0
    var usage = rusage()
    var timedOut = false
    while true {
        let reaped = wait4(pid, &status, WNOHANG, &usage)
        if reaped == pid { break }
        if reaped < 0 && errno != EINTR { break }
        if !timedOut && Date().timeIntervalSince(started) > timeout {
            timedOut = true
            kill(pid, SIGKILL)
        }
        usleep(10_000)
    }
    let seconds = Date().timeIntervalSince(started)
    // Exit code, or 128 + the signal as a shell reports it.
    let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    return MeasuredRun(status: exitStatus, stdout: read(outPath), stderr: read(errPath),
                       peakKibibytes: Int(usage.ru_maxrss), seconds: seconds, timedOut: timedOut)
}
