/// What a submitter asks for when it starts a run.
public struct RunRequest: Sendable {
    public var job: JobKey
    /// A caller-chosen name for "this same batch": submitting again with the same key attaches to
    /// the existing run instead of creating one (the command line derives it from its arguments).
    public var key: String?
    /// The job's own settings, encoded by the caller; workers read them with each claim.
    public var options: [UInt8]
    /// Attempts per chunk, counting the first; a chunk whose lease is lost counts one too.
    public var maxAttempts: Int

    public init(job: JobKey, key: String? = nil, options: [UInt8] = [], maxAttempts: Int = 3) {
        self.job = job
        self.key = key
        self.options = options
        self.maxAttempts = max(1, maxAttempts)
    }
}
