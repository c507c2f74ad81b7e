import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import TrenzaServer

/// The demo application at a small time scale, with an optional seed, logger and extra routes
/// (added after the standard ones, so they get the same middleware).
func makeApp(
    timeScale: Double = 0.01,
    seed: UInt64? = nil,
    logger: Logger? = nil,
    latency: Duration = .zero,
    filesDirectory: String? = nil,
    extraRoutes: (Router<ServerContext>) -> Void = { _ in }
) throws -> Application<RouterResponder<ServerContext>> {
    let configuration = DemoServer.Configuration(port: 0, timeScale: timeScale, seed: seed, latency: latency, filesDirectory: filesDirectory)
    let router = try DemoServer.makeRouter(configuration)
    extraRoutes(router)
    return try DemoServer.makeApplication(configuration, router: router, logger: logger ?? quietLogger())
}

/// A logger that drops everything: the tests that read logs pass their own.
func quietLogger() -> Logger {
    Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body parsed as a JSON object.
    func object() throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        guard let object = value as? [String: Any] else { throw TestFailure("not a JSON object: \(text)") }
        return object
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One simulated operation as the server reported it.
struct Reported: Equatable {
    var operacion: String
    var tiempo: Double

    init(_ value: Any?) throws {
        guard let object = value as? [String: Any], Set(object.keys) == ["operacion", "tiempo"],
              let operacion = object["operacion"] as? String, let tiempo = object["tiempo"] as? Double
        else { throw TestFailure("not an operation result: \(String(describing: value))") }
        self.operacion = operacion
        self.tiempo = tiempo
    }
}

/// Every log record a logger sent, for tests to read.
final class LogRecorder: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "test") { _ in Handler(recorder: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ record: Record) { records.withLock { $0.append(record) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.append(Record(level: event.level, message: event.message.description, metadata: merged))
        }
    }
}
