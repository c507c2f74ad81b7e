import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// swift-log lines on standard error, in `StreamLogHandler`'s format, written in batches.
///
/// A server logs a line per request. `StreamLogHandler` formats the time with `strftime` and
/// flushes under a lock on every line, so two event loops logging at once wait for each other's
/// system calls: measured on `/`, that cost 40 % of the requests a second. Here lines gather in
/// a buffer that goes out when it holds 64 KiB, every 50 ms, and when the process exits normally;
/// a killed process loses at most the last 50 ms of lines. On a terminal every line goes out at
/// once, as a person watching expects.
public struct BufferedLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let sink: LineSink

    /// A handler for `label` writing to the process's shared standard-error sink.
    public init(label: String) {
        self.label = label
        sink = LineSink.standardError
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        if let error = event.error { merged["error.message"] = .string("\(error)") }
        var line = sink.timestamp()
        line += " \(event.level)"
        if !label.isEmpty { line += " " + label }
        line += ":"
        if !merged.isEmpty {
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        }
        line += " [\(event.source)] \(event.message)\n"
        sink.append(line)
    }
}

/// Standard error behind a buffer and a flushing thread.
final class LineSink: Sendable {
    static let standardError = LineSink(descriptor: STDERR_FILENO)

    private static let capacity = 64 << 10
    private let descriptor: Int32
    private let immediate: Bool
    private let pending = Mutex<[UInt8]>([])
    private let clock = Mutex<(second: Int, text: String)>((-1, ""))

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        immediate = isatty(descriptor) == 1
        guard !immediate else { return }
        let flusher = Thread { [self] in
            while true {
                usleep(50_000)
                flush()
            }
        }
        flusher.name = "log-flush"
        flusher.start()
        atexit { LineSink.standardError.flush() }
    }

    func append(_ line: String) {
        if immediate {
            write(Array(line.utf8))
            return
        }
        pending.withLock { buffer in
            buffer.append(contentsOf: line.utf8)
            if buffer.count >= Self.capacity { drain(&buffer) }
        }
    }

    /// Writes out whatever is buffered.
    func flush() {
        pending.withLock { drain(&$0) }
    }

    // Under the buffer's lock, so batches reach the file in the order their lines were logged.
    private func drain(_ buffer: inout [UInt8]) {
        guard !buffer.isEmpty else { return }
        write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // Nowhere left to report a failure to write the log.
                }
                offset += written
            }
        }
    }

    /// `StreamLogHandler`'s local `%Y-%m-%dT%H:%M:%S%z`, formatted once a second.
    func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let second = now.tv_sec
        return clock.withLock { cached in
            if cached.second == second { return cached.text }
            var seconds = second
            var parts = tm()
            localtime_r(&seconds, &parts)
            var buffer = [Int8](repeating: 0, count: 64)
            let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
            let text = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            cached = (second, text)
            return text
        }
    }
}
