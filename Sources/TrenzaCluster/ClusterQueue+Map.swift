import Trenza

extension ClusterQueue {
    /// Runs `job` over `inputs` on the cluster workers that know it, and returns the run's id
    /// and one outcome per input, in input order.
    ///
    /// The inputs go in as chunks of `chunkSize`, with the job's value, in one run. With a `key`,
    /// submitting again attaches to the run of that key instead of starting over: finished
    /// chunks are not run again. A chunk that ends dead or cancelled fails each of its inputs with
    /// the chunk's reason. Waits, polling every `poll`, until every chunk is final.
    public func map<J: Job>(
        _ job: J, version: Int = 1, _ inputs: [J.Input], chunkSize: Int = 256, key: String? = nil,
        maxAttempts: Int = 3, poll: Duration = .milliseconds(100)
    ) async throws -> (run: Int64, outcomes: [Outcome<J.Output>]) {
        let value = try ClusterJob.encodedValue(job)
        let size = max(1, chunkSize)
        let request = RunRequest(job: JobKey(J.name, version: version), key: key, options: value, maxAttempts: maxAttempts)
        let run = try await retrying { try await $0.createRun(request).id }
        // Chunks are added whatever `created` says: a submitter that died half-way left a run
        // still `submitting`, and adding a chunk that exists already is skipped.
        let starts = Array(stride(from: 0, to: inputs.count, by: size))
        for batch in stride(from: 0, to: starts.count, by: 1_000) {
            let chunks = try starts[batch..<min(batch + 1_000, starts.count)].enumerated().map { offset, start in
                ChunkInput(seq: batch + offset, itemCount: min(size, inputs.count - start),
                           payload: try BinaryCodec.encode(Array(inputs[start..<min(start + size, inputs.count)])))
            }
            _ = try await retrying { try await $0.addChunks(run: run, chunks) }
        }
        try await retrying { try await $0.sealRun(run) }

        while true {
            guard let status = try await retrying({ try await $0.status(run: run) }) else { throw ClusterError.unknownRun(run) }
            if status.isFinished {
                guard status.itemCount == inputs.count else {
                    throw ClusterError.undecodable("run \(run) (key \(key ?? "none")) holds \(status.itemCount) inputs, not the \(inputs.count) given")
                }
                break
            }
            try await Task.sleep(for: poll)
        }
        return (run, try await outcomes(of: run, J.Output.self, count: inputs.count))
    }

    /// The outcomes of a finished run, in input order.
    private func outcomes<Output: Codable & Sendable>(of run: Int64, _ type: Output.Type, count: Int) async throws -> [Outcome<Output>] {
        var outcomes: [Outcome<Output>] = []
        outcomes.reserveCapacity(count)
        var next = 0
        while outcomes.count < count {
            let page = try await retrying { try await $0.results(run: run, from: next, limit: 1_000) }
            guard let last = page.last else { break }
            for chunk in page {
                let first = outcomes.count
                if chunk.state == .done, let bytes = chunk.result {
                    let results: [ClusterItemResult<Output>]
                    do {
                        results = try BinaryCodec.decode([ClusterItemResult<Output>].self, from: bytes[...])
                    } catch {
                        throw ClusterError.undecodable("chunk \(chunk.seq) of run \(run) does not decode as [\(Output.self)]: \(error)")
                    }
                    outcomes += results.enumerated().map { $1.outcome(index: first + $0) }
                } else {
                    let kind: ItemFailure.Kind = chunk.state == .cancelled ? .cancelled : .workerCrashed
                    let reason = chunk.error ?? "chunk \(chunk.seq) ended \(chunk.state.rawValue)"
                    outcomes += (first..<first + chunk.itemCount).map { .failure(ItemFailure(index: $0, kind: kind, message: reason)) }
                }
            }
            next = last.seq + 1
        }
        return outcomes
    }
}
