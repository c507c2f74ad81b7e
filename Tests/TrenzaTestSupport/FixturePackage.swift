import Foundation

/// A package under `Tests/Fixtures/` that depends on this repository by path, built and run with
/// the same `swift` that runs the tests, as a user of the library would build it.
///
/// Its build folder lives under this repository's `.build/fixtures/`, so a second test run reuses
/// the first one's checkouts and objects.
public struct FixturePackage: Sendable {
    public let name: String
    public let folder: URL
    public let scratch: URL

    public init(_ name: String) {
        let root = repositoryRoot
        self.name = name
        folder = root.appendingPathComponent("Tests/Fixtures/\(name)")
        scratch = root.appendingPathComponent(".build/fixtures/\(name)")
    }

    /// The identity SwiftPM gives this repository when a package names it by path: its folder's name.
    public var repositoryIdentity: String { repositoryRoot.lastPathComponent.lowercased() }

    /// Every package the fixture resolves, this repository included, one identity per entry.
    public func resolvedPackages() throws -> Set<String> {
        let listing = try swift(["package", "show-dependencies", "--format", "flatlist"])
        return Set(listing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// Builds the fixture (debug) and returns the path of its executable `product`.
    public func build(product: String) throws -> String {
        _ = try swift(["build", "--product", product])
        return scratch.appendingPathComponent("debug/\(product)").path
    }

    /// Runs `swift SUBCOMMAND ARGUMENTS…` on the fixture; its standard output, or an error that
    /// holds everything it printed.
    @discardableResult
    public func swift(_ command: [String]) throws -> String {
        // `swift package` takes the location options before its own subcommand.
        let location = ["--package-path", folder.path, "--scratch-path", scratch.path]
        return try runProgram("/usr/bin/env", ["swift", command[0]] + location + command.dropFirst())
    }
}

/// A program's failure, with what it printed.
public struct ProgramFailure: Error, CustomStringConvertible {
    public var command: String
    public var status: Int32
    public var output: String
    public var description: String { "\(command) exited with \(status):\n\(output)" }
}

/// Runs `executable` to completion; its standard output, or ``ProgramFailure`` with standard
/// output and error together when it exits non-zero.
public func runProgram(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Drain both pipes while the program runs: a full pipe would stop it.
    let errorText = ErrorCollector(errors.fileHandleForReading)
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let stdout = String(decoding: outputData, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw ProgramFailure(
            command: ([executable] + arguments).joined(separator: " "), status: process.terminationStatus,
            output: stdout + errorText.wait())
    }
    return stdout
}

/// Reads a pipe to its end on a thread of its own.
private final class ErrorCollector: @unchecked Sendable {
    // Written once by the reading thread before `done` is signalled; read only after waiting.
    private var text = ""
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread { [self] in
            text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
            done.signal()
        }.start()
    }

    func wait() -> String {
        done.wait()
        return text
    }
}

/// This repository's root folder, found from this source file's place in it.
private let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()   // TrenzaTestSupport
    .deletingLastPathComponent()   // Tests
    .deletingLastPathComponent()
