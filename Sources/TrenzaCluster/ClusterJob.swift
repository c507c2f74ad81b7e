import Trenza

/// A job a cluster worker can run, found by its key in the chunks it claims.
///
/// The run carries the job's value (encoded by the submitter), so a worker runs exactly the
/// value that was submitted, as on the processes engine: the type is all a worker registers.
public struct ClusterJob: Sendable {
    public let key: JobKey
    /// Rebuilds the run's job value, decodes a chunk's inputs, runs them on `pool` and encodes
    /// their outcomes, failures naming `host`.
    let runChunk: @Sendable (_ input: [UInt8], _ jobValue: [UInt8], _ pool: Pool, _ host: String) async throws -> [UInt8]

    /// - Parameter version: bump it when the job's inputs, outputs or behaviour change, so that
    ///   workers built from older code never claim work they would misread.
    public init<J: Job>(_ type: J.Type, version: Int = 1) {
        key = JobKey(J.name, version: version)
        runChunk = { input, value, pool, host in
            let job = try Self.job(J.self, from: value)
            let inputs: [J.Input]
            do {
                inputs = try BinaryCodec.decode([J.Input].self, from: input[...])
            } catch {
                throw ClusterError.undecodable("a chunk of \(J.name) does not decode as [\(J.Input.self)]: \(error)")
            }
            let outcomes = await pool.map(job, inputs)
            return try BinaryCodec.encode(outcomes.map { ClusterItemResult<J.Output>($0, host: host) })
        }
    }

    /// The encoding of `job` that a run carries, or why it cannot travel: the processes
    /// engine's rule, since the value must run elsewhere. Empty for a type without stored
    /// properties; otherwise a marker byte and the value's encoding, which may itself be empty
    /// (a job whose properties all stay behind, such as a downloader's clients).
    static func encodedValue<J: Job>(_ job: J) throws(ClusterError) -> [UInt8] {
        do {
            guard let value = try JobTravel.encodedValue(of: job) else { return [] }
            return [valueMarker] + value
        } catch {
            throw .jobCannotTravel(error.message)
        }
    }

    static func job<J: Job>(_ type: J.Type, from value: [UInt8]) throws(ClusterError) -> J {
        guard value.isEmpty || value[0] == valueMarker else {
            throw .undecodable("the run's value of \(J.name) is not in a form this worker reads")
        }
        do {
            return try JobTravel.rebuild(J.self, from: value.isEmpty ? nil : Array(value.dropFirst()))
        } catch {
            throw .undecodable(error.message)
        }
    }

    private static let valueMarker: UInt8 = 1
}
