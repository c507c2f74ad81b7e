import Trenza

extension ClusterQueue {
    /// Runs `job` over inputs as `inputs` produces them, and streams the outcomes back in input
    /// order as the cluster finishes them: the cluster's form of ``Pool/stream(_:_:order:onEvent:)``.
    ///
    /// Inputs go into the queue in chunks of `chunkSize` as they arrive, so workers start on the
    /// first chunks while later inputs are still being produced, and memory here holds one
    /// chunk, not the batch: the database is the buffer. The run is sealed when `inputs` ends;
    /// `onRun` learns its id as soon as it exists. With a `key`, producing the same inputs again
    /// attaches to the run of that key. Cancelling the stream's consumer stops submitting; the
    /// chunks already in the queue stay there (cancel the run to stop them).
    public func stream<J: Job, Inputs: AsyncSequence & Sendable>(
        _ job: J, version: Int = 1, _ inputs: Inputs, chunkSize: Int = 1_000, key: String? = nil, maxAttempts: Int = 3,
        onRun: (@Sendable (Int64) -> Void)? = nil
    ) -> AsyncThrowingStream<StreamedOutcome<J.Output>, any Error> where Inputs.Element == J.Input {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: StreamedOutcome<J.Output>.self)
        let size = max(1, chunkSize)
        let task = Task { [self] in
            do {
                let request = RunRequest(job: JobKey(J.name, version: version), key: key,
                                         options: try ClusterJob.encodedValue(job), maxAttempts: maxAttempts)
                let run = try await retrying { try await $0.createRun(request) }.id
                onRun?(run)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await submitChunks(of: inputs, to: run, size: size) }
                    group.addTask {
                        var index = 0
                        for try await outcome in outcomes(of: run, as: J.Output.self) {
                            continuation.yield(StreamedOutcome(index: index, outcome: outcome))
                            index += 1
                        }
                    }
                    try await group.waitForAll()
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Adds `inputs` to `run` a chunk at a time as they arrive, then seals it.
    private func submitChunks<Inputs: AsyncSequence>(of inputs: Inputs, to run: Int64, size: Int) async throws where Inputs.Element: Encodable {
        var batch: [Inputs.Element] = []
        batch.reserveCapacity(size)
        var seq = 0
        var iterator = inputs.makeAsyncIterator()
        while true {
            let next = try await iterator.next()
            if let input = next { batch.append(input) }
            if batch.count == size || (next == nil && !batch.isEmpty) {
                let chunk = ChunkInput(seq: seq, itemCount: batch.count, payload: try BinaryCodec.encode(batch))
                _ = try await retrying { try await $0.addChunks(run: run, [chunk]) }
                seq += 1
                batch.removeAll(keepingCapacity: true)
            }
            if next == nil { break }
        }
        try await retrying { try await $0.sealRun(run) }
    }
}
