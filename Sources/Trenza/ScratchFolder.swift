import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A folder a program makes under the system's temporary folder for its own use and removes when
/// done — also when it is interrupted: the interrupt handler (``ProcessPool/installInterruptHandler()``)
/// removes every folder still open before the process ends by its signal.
///
/// ```swift
/// let scratch = try ScratchFolder(prefix: "trenza-bench")
/// defer { scratch.remove() }
/// try data.write(to: scratch.url.appendingPathComponent("input.jpg"))
/// ```
package final class ScratchFolder: Sendable {
    /// The folder, which exists until ``remove()``.
    package let url: URL
    package var path: String { url.path }

    private static let open = Mutex<[String: URL]>([:])

    /// Makes a new, empty folder named `<prefix>-<pid>-<random>`.
    package init(prefix: String) throws {
        let name = "\(prefix)-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        url = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        Self.open.withLock { $0[url.path] = url }
    }

    /// Removes the folder and everything in it.
    package func remove() {
        Self.open.withLock { $0[url.path] = nil }
        try? FileManager.default.removeItem(at: url)
    }

    /// Removes every folder not removed yet: the last act of an interrupted process.
    static func removeAll() {
        let folders = open.withLock { open in
            defer { open.removeAll() }
            return Array(open.values)
        }
        for folder in folders { try? FileManager.default.removeItem(at: folder) }
    }
}
