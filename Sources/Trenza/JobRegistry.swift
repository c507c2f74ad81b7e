import Foundation

/// The jobs a worker process can run, looked up by ``Job/name``.
///
/// The parent sends only a job's name and its encoded input; the worker decodes the input, runs
/// the registered job value and sends the encoded output back.
public struct JobRegistry: Sendable {
    /// Runs one encoded input through a job and encodes its output into `output`.
    typealias Handler = @Sendable (_ input: ArraySlice<UInt8>, _ output: BinaryEncoderCore) throws -> Void

    private var handlers: [String: Handler] = [:]

    /// An empty registry.
    public init() {}

    /// The jobs every Trenza worker knows: the diagnostic ``ProbeJob`` and the tiny ``SquareJob``.
    public static var builtIn: JobRegistry {
        var registry = JobRegistry()
        registry.register(ProbeJob())
        registry.register(SquareJob())
        return registry
    }

    /// Adds `job` under its name, replacing any job registered under the same name.
    public mutating func register<J: Job>(_ job: J) {
        handlers[J.name] = { bytes, encoder in
            let input: J.Input
            do {
                input = try BinaryCodec.decode(J.Input.self, from: bytes)
            } catch {
                throw WorkerSideError.protocolError("cannot decode input for \(J.name): \(error)")
            }
            let output = try job.run(input)
            do {
                try encoder.encodeValue(output, codingPath: [])
            } catch {
                throw WorkerSideError.protocolError("cannot encode output of \(J.name): \(error)")
            }
        }
    }

    /// Adds every job of `other`.
    public mutating func merge(_ other: JobRegistry) {
        handlers.merge(other.handlers) { _, new in new }
    }

    /// The registered job names, sorted.
    public var names: [String] { handlers.keys.sorted() }

    func handler(named name: String) -> Handler? { handlers[name] }
}

/// Failures a worker reports that are not the job's own errors.
enum WorkerSideError: Error {
    case protocolError(String)
}
