import Foundation
import Trenza

extension ClusterQueue {
    /// Chunk size when the caller names none: about 256 chunks, so that many workers share
    /// a run evenly, and no more than 1,000 inputs a chunk, so that a lost chunk costs little.
    public static func automaticChunkSize(inputs: Int) -> Int {
        min(1_000, max(1, (inputs + 255) / 256))
    }

    /// A key for "this same batch": the job's key and value and the inputs, hashed. Submitting
    /// the same work with it again attaches to the run it started.
    public static func contentKey<J: Job>(_ job: J, version: Int = 1, _ inputs: [J.Input]) throws -> String {
        var hash = ContentHash()
        hash.add(Array("\(J.name)@\(version)".utf8))
        hash.add(try ClusterJob.encodedValue(job))
        hash.add(try BinaryCodec.encode(inputs))
        return "\(J.name)@\(version):\(hash.hex)"
    }

    /// Puts `job` and `inputs` in the queue as one run: the job's value travels with it, the
    /// inputs go in as chunks of `chunkSize` (by default ``automaticChunkSize(inputs:)``). With
    /// a `key`, submitting again attaches to the run of that key: chunks it has are skipped.
    public func submit<J: Job>(
        _ job: J, version: Int = 1, _ inputs: [J.Input], chunkSize: Int? = nil, key: String? = nil, maxAttempts: Int = 3
    ) async throws -> ClusterRun {
        let value = try ClusterJob.encodedValue(job)
        let size = max(1, chunkSize ?? Self.automaticChunkSize(inputs: inputs.count))
        let request = RunRequest(job: JobKey(J.name, version: version), key: key, options: value, maxAttempts: maxAttempts)
        let (run, created) = try await retrying { try await $0.createRun(request) }
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
        guard let status = try await retrying({ try await $0.status(run: run) }) else { throw ClusterError.unknownRun(run) }
        guard status.itemCount == inputs.count else {
            throw ClusterError.runMismatch(run: run, key: key ?? "", holds: status.itemCount, given: inputs.count)
        }
        return ClusterRun(id: run, created: created, itemCount: status.itemCount, chunkCount: status.chunkCount, chunkSize: size)
    }

    /// Runs `job` over `inputs` on the cluster workers that know it, and returns the run's id
    /// and one outcome per input, in input order; see ``submit(_:version:_:chunkSize:key:maxAttempts:)``
    /// and ``outcomes(of:as:progress:)``.
    public func map<J: Job>(
        _ job: J, version: Int = 1, _ inputs: [J.Input], chunkSize: Int? = nil, key: String? = nil,
        maxAttempts: Int = 3, progress: (@Sendable (RunStatus) -> Void)? = nil
    ) async throws -> (run: Int64, outcomes: [Outcome<J.Output>]) {
        let run = try await submit(job, version: version, inputs, chunkSize: chunkSize, key: key, maxAttempts: maxAttempts)
        var outcomes: [Outcome<J.Output>] = []
        outcomes.reserveCapacity(inputs.count)
        for try await outcome in self.outcomes(of: run.id, as: J.Output.self, progress: progress) {
            outcomes.append(outcome)
        }
        return (run.id, outcomes)
    }

    /// A run's outcomes in input order, each as soon as its chunk and all before it are final;
    /// the sequence ends after the last. A chunk that ended dead, failed or cancelled fails each
    /// of its inputs with the chunk's reason. `progress` sees every change of the run's status
    /// (woken by `NOTIFY`, polled every second as the fallback).
    public func outcomes<Output: Codable & Sendable>(
        of run: Int64, as type: Output.Type, progress: (@Sendable (RunStatus) -> Void)? = nil
    ) -> AsyncThrowingStream<Outcome<Output>, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Outcome<Output>.self, bufferingPolicy: .bufferingOldest(10_000))
        let task = Task { [self] in
            do {
                var next = 0
                var delivered = 0
                for try await status in ProgressFeed(queue: self, run: run).statuses() {
                    progress?(status)
                    while true {
                        let first = next
                        let page = try await retrying { try await $0.results(run: run, from: first, limit: 200) }
                        // Only the unbroken prefix: a later chunk may finish before an earlier one.
                        let ready = page.enumerated().prefix { $1.seq == next + $0 }.map(\.element)
                        for chunk in ready {
                            for outcome in try Self.outcomes(of: chunk, run: run, Output.self, first: delivered) {
                                while case .dropped = continuation.yield(outcome) {
                                    try await Task.sleep(for: .milliseconds(5))
                                }
                            }
                            delivered += chunk.itemCount
                        }
                        next += ready.count
                        if ready.count < 200 { break }
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    static func outcomes<Output: Codable & Sendable>(of chunk: FinishedChunk, run: Int64, _ type: Output.Type, first: Int) throws -> [Outcome<Output>] {
        if chunk.state == .done, let bytes = chunk.result {
            let results: [ClusterItemResult<Output>]
            do {
                results = try BinaryCodec.decode([ClusterItemResult<Output>].self, from: bytes[...])
            } catch {
                throw ClusterError.undecodable("chunk \(chunk.seq) of run \(run) does not decode as [\(Output.self)]: \(error)")
            }
            return results.enumerated().map { $1.outcome(index: first + $0) }
        }
        let kind: ItemFailure.Kind = chunk.state == .cancelled ? .cancelled : .workerCrashed
        let reason = chunk.error ?? "chunk \(chunk.seq) ended \(chunk.state.rawValue)"
        return (first..<first + chunk.itemCount).map { .failure(ItemFailure(index: $0, kind: kind, message: reason)) }
    }
}

/// FNV-1a, 64 bits: stable across runs and machines (unlike `Hasher`), which a run key must be.
struct ContentHash {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: [UInt8]) {
        // The length first, so that ("ab", "c") and ("a", "bc") differ.
        for byte in withUnsafeBytes(of: UInt64(bytes.count).littleEndian, Array.init) + bytes {
            state = (state ^ UInt64(byte)) &* 0x100_0000_01b3
        }
    }

    var hex: String {
        let digits = String(state, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
