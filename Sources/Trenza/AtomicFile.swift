import Foundation
internal import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that a reader sees the old content or the whole new content, never a part:
/// the bytes go to a temporary name in the destination folder, are flushed to disk, and the
/// temporary file is renamed over the destination. A crash or Ctrl-C leaves at most a hidden
/// temporary file, never a half-written file under the final name.
package enum AtomicFile {
    /// An error writing `path`, with the system's reason.
    package struct WriteError: Error, CustomStringConvertible, Sendable {
        package var path: String
        package var reason: String
        package var description: String { "cannot write \(path): \(reason)" }
    }

    /// Writes `bytes` to `path` atomically, replacing any existing file.
    package static func write(_ bytes: [UInt8], to path: String) throws(WriteError) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/" + temporaryPrefix(url.lastPathComponent) + "\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(
                temporary, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw WriteError(path: path, reason: "\(error)")
        }
        var failure: Errno?
        do {
            _ = try file.writeAll(bytes)
            // swift-system has no fsync: the one call made directly.
            if fsync(file.rawValue) != 0 { throw Errno(rawValue: errno) }
        } catch {
            failure = error as? Errno ?? .ioError
        }
        do { try file.close() } catch { failure = failure ?? error as? Errno ?? .ioError }
        if failure == nil, rename(temporary, path) != 0 { failure = Errno(rawValue: errno) }
        if let failure {
            unlink(temporary)
            throw WriteError(path: path, reason: failure.description)
        }
    }

    /// How the temporary files for `name` begin: hidden, and named after the destination.
    static func temporaryPrefix(_ name: String) -> String { "." + name + ".trenza-" }

    /// Removes the temporary files that writers of `paths` left behind when they were killed
    /// mid-write; returns how many. Only for a caller that knows no one writes those paths any
    /// more (a finished batch): a live writer's temporary file would go too, and its write fail.
    @discardableResult
    package static func removeLeftovers(of paths: [String]) -> Int {
        var prefixes: [String: [String]] = [:]
        for path in paths {
            let url = URL(fileURLWithPath: path)
            prefixes[url.deletingLastPathComponent().path, default: []].append(temporaryPrefix(url.lastPathComponent))
        }
        var removed = 0
        for (folder, folderPrefixes) in prefixes {
            let wanted = Set(folderPrefixes)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(".") && name.hasSuffix(".tmp") {
                guard let range = name.range(of: ".trenza-"), wanted.contains(String(name[..<range.upperBound])) else { continue }
                if unlink(folder + "/" + name) == 0 { removed += 1 }
            }
        }
        return removed
    }
}
