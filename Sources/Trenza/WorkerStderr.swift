import Foundation
internal import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Passes a worker's stderr on to ours line by line, folding runtime stack traces.
struct StderrRelay {
    private var partial: [UInt8] = []
    private var omittedFrames = 0

    mutating func feed(_ bytes: ArraySlice<UInt8>) {
        partial.append(contentsOf: bytes)
        while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(partial[...newline])
            partial.removeSubrange(...newline)
            pass(line)
        }
        // A very long line without a newline is passed on as it is.
        if partial.count > 8192 {
            endFold()
            write(partial)
            partial.removeAll()
        }
    }

    mutating func flush() {
        if !partial.isEmpty { pass(partial) }
        partial.removeAll()
        endFold()
    }

    private mutating func pass(_ line: [UInt8]) {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix("Current stack trace:") {
            omittedFrames = max(omittedFrames, 0)
            inFold = true
            return
        }
        if inFold, Self.isFrame(text) {
            omittedFrames += 1
            return
        }
        endFold()
        write(line)
    }

    private var inFold = false

    private mutating func endFold() {
        guard inFold else { return }
        inFold = false
        write(Array("(stack trace of \(omittedFrames) frames omitted)\n".utf8))
        omittedFrames = 0
    }

    /// "12   libswiftCore.so   0x00007f… symbol + 33"
    private static func isFrame(_ line: String) -> Bool {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        return fields.count >= 3 && Int(fields[0]) != nil && fields[2].hasPrefix("0x")
    }

    private func write(_ bytes: [UInt8]) {
        // Our own stderr closed or full is no reason to stop relaying: the tail is kept anyway.
        _ = try? FileDescriptor.standardError.writeAll(bytes)
    }
}

/// The last few kilobytes a worker wrote to stderr, and the lines of it worth quoting.
struct LastWords {
    private var bytes: [UInt8] = []
    private let limit = 4096

    mutating func append(_ more: ArraySlice<UInt8>) {
        bytes.append(contentsOf: more)
        if bytes.count > limit { bytes.removeFirst(bytes.count - limit) }
    }

    /// The last lines (at most three, 400 characters), joined with " / "; a Swift runtime
    /// "Fatal error" line is preferred when there is one.
    var summary: String? {
        let lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !lines.isEmpty else { return nil }
        let chosen: [String]
        if let fatal = lines.lastIndex(where: { $0.contains("Fatal error") || $0.contains("Precondition failed") || $0.contains("Assertion failed") }) {
            chosen = [lines[fatal]]
        } else {
            chosen = Array(lines.suffix(3))
        }
        let text = chosen.joined(separator: " / ")
        return text.count > 400 ? String(text.prefix(397)) + "…" : text
    }
}
