import Foundation

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
