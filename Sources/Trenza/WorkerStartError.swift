/// How to start a worker: the executable (which links Trenza), its arguments, its setup.
struct WorkerLaunch: Sendable {
    var executable: String
    var arguments: [String]
    var setup: JobTravel.Parcel?
}

/// A worker process could not be started; the message says why.
public struct WorkerStartError: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// The system refused a process, thread or descriptor (EAGAIN, EMFILE…): a limit, not a bug.
    var isLimit: Bool
    var isSetupFailure: Bool
    init(_ message: String, isLimit: Bool = false, isSetupFailure: Bool = false) {
        self.message = message
        self.isLimit = isLimit
        self.isSetupFailure = isSetupFailure
    }
    public var description: String { message }
}
