import Foundation
import Logging
import Synchronization
import Trenza

/// §7.1: timestamped logs that name the thread, from several worker threads, through swift-log.
struct LoggingLesson: Lesson {
    let slug = "logging"
    let section = "7.1"
    let title = "Logging from concurrent threads"

    func run(_ context: LessonContext) async throws -> [Check] {
        let records = LogRecords()
        let logger = Logger(label: "trenza.lessons.logging") { _ in
            ThreadNameLogHandler(records: records, say: context.say)
        }
        let workers = (0..<3).map { id in
            JoinableThread(name: "Worker-\(id)") {
                logger.debug("Worker \(id) starting")
                context.sleep(2)
                logger.debug("Worker \(id) finishing")
            }
        }
        workers.forEach { $0.join() }

        let logged = records.all
        let namesMatch = logged.allSatisfy { record in
            record.message.hasPrefix("Worker \(record.thread.dropFirst("Worker-".count)) ")
        }
        let firstFinish = logged.firstIndex { $0.message.hasSuffix("finishing") } ?? logged.count
        let startsBeforeFinishes = logged[..<firstFinish].filter { $0.message.hasSuffix("starting") }.count
        let ordered = zip(logged, logged.dropFirst()).allSatisfy { $0.time <= $1.time }
        return [
            Check("6 records, each naming the thread that wrote it", logged.count == 6 && namesMatch,
                  observed: logged.map { "\($0.thread): \($0.message)" }.joined(separator: "; ")),
            Check("all 3 workers started before any finished (they ran concurrently)", startsBeforeFinishes == 3,
                  observed: "\(startsBeforeFinishes) started before the first finish"),
            Check("timestamps never go backwards", ordered, observed: ordered ? "in order" : "out of order"),
        ]
    }
}

/// One log line as the lesson checks it.
struct LogRecord: Sendable {
    var time: Date
    var thread: String
    var message: String
}

final class LogRecords: Sendable {
    private let records = Mutex<[LogRecord]>([])

    /// Stamps and stores a record, and hands it to `emit`, all under one lock so that the stored
    /// order, the timestamps and the narrated order agree.
    func record(thread: String, message: String, emit: (LogRecord) -> Void) {
        records.withLock { records in
            let record = LogRecord(time: Date(), thread: thread, message: message)
            records.append(record)
            emit(record)
        }
    }

    var all: [LogRecord] { records.withLock { $0 } }
}

/// Formats records as Python's `'%(asctime)s - %(threadName)s - %(message)s'`.
struct ThreadNameLogHandler: LogHandler {
    let records: LogRecords
    let say: @Sendable (String) -> Void
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let thread = ThreadName.current
        records.record(thread: thread, message: "\(event.message)") { record in
            say("\(Self.timestamp(record.time)) - \(thread) - \(record.message)")
        }
    }

    private static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&seconds, &parts)
        let millis = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d,%03d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, millis)
    }
}
