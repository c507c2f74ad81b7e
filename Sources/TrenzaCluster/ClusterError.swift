/// Errors of the queue itself (the database's own arrive as postgres-nio's `PSQLError`).
public enum ClusterError: Error, Equatable, CustomStringConvertible, Sendable {
    case schemaTooNew(found: Int, known: Int)
    case runKeyTaken(key: String, job: JobKey, requested: JobKey)
    case unknownRun(Int64)
    case unknownWorker(Int64)
    /// A job value that a worker on another machine could not rebuild.
    case jobCannotTravel(String)
    /// A chunk whose bytes do not decode as the job's inputs or outputs.
    case undecodable(String)
    /// A key that names a run of other inputs: the same key was used for different work.
    case runMismatch(run: Int64, key: String, holds: Int, given: Int)
    /// A statement that got no answer in time.
    case timedOut(String)

    public var description: String {
        switch self {
        case .schemaTooNew(let found, let known):
            "the queue database has schema version \(found), newer than this trenza knows (\(known)): upgrade trenza"
        case .runKeyTaken(let key, let job, let requested):
            "run key \"\(key)\" already names a run of \(job), not \(requested)"
        case .unknownRun(let id):
            "no run \(id) in the queue"
        case .unknownWorker(let id):
            "worker \(id) is not registered (pruned after a long silence?): register again"
        case .runMismatch(let run, let key, let holds, let given):
            "run key \"\(key)\" names run \(run), which holds \(holds) inputs, not the \(given) given: use another key for other work"
        case .timedOut(let what):
            "\(what) got no answer in time"
        case .jobCannotTravel(let reason), .undecodable(let reason):
            reason
        }
    }
}
