import Synchronization

/// A batch as a slot's thread sees it, whatever its job type.
protocol ProcessBatchHandle: Sendable {
    var jobNumber: Int { get }
    var parcel: JobTravel.Parcel { get }
    /// Appends a run frame for as many of `items` as fit in `budget` bytes (at least one);
    /// returns how many.
    func encode(_ items: Range<Int>, into bytes: inout [UInt8], budget: Int) -> Int
    func deliver(_ items: Range<Int>, payload: [UInt8], seconds: Double) throws(WireError)
    func fail(_ items: Range<Int>, kind: ItemFailure.Kind, message: String)
    func started(_ items: Range<Int>)
}

final class ProcessBatch<J: Job>: ProcessBatchHandle {
    let core: BatchCore<J>
    let jobNumber: Int
    let parcel: JobTravel.Parcel
    /// Inputs that could not be encoded: they travel empty and fail with this reason.
    private let encodeFailures = Mutex<[Int: String]>([:])

    init(core: BatchCore<J>, job: Int, parcel: JobTravel.Parcel) {
        self.core = core
        self.jobNumber = job
        self.parcel = parcel
    }

    func encode(_ items: Range<Int>, into bytes: inout [UInt8], budget: Int) -> Int {
        var request = Wire.FrameBuilder(run: UInt32(jobNumber))
        let inputs = core.inputs(items)
        if let scalar = J.Input.self as? any WireScalar.Type {
            let sent = withUnsafePointer(to: inputs) { scalar.appendInputs($0, to: &request, budget: budget) }
            request.finish(appendingTo: &bytes)
            return sent
        }
        for offset in inputs.indices {
            if offset > 0 && request.byteCount >= budget { break }
            do {
                try request.append { encoder in try encoder.encodeValue(inputs[offset], codingPath: []) }
            } catch {
                let index = items.lowerBound + offset
                encodeFailures.withLock { $0[index] = "cannot encode input: \(error)" }
                request.append(bytes: [])
            }
        }
        request.finish(appendingTo: &bytes)
        return request.count
    }

    func deliver(_ items: Range<Int>, payload: [UInt8], seconds: Double) throws(WireError) {
        var reader = Wire.PayloadReader(payload)
        let count = try reader.count(minimumEntrySize: 5)
        guard count == items.count else { throw .malformed("\(count) results for \(items.count) inputs") }
        // Decoded straight into the memory the receiver takes them from.
        let outcomes = UnsafeMutableBufferPointer<Outcome<J.Output>>.allocate(capacity: count)
        var initialized = 0
        defer {
            if initialized > 0 { outcomes.baseAddress!.deinitialize(count: initialized) }
            outcomes.deallocate()
        }
        if let scalar = J.Output.self as? any WireScalar.Type {
            try scalar.decodeOutcomes(&reader, items: items, into: UnsafeMutableRawPointer(outcomes.baseAddress!), initialized: &initialized)
        }
        let decoder = BinaryDecoderCore(bytes: payload[...])
        for index in items.dropFirst(initialized) {
            let status = try reader.uint8()
            let body = try reader.slice(try reader.uint32())
            let outcome: Outcome<J.Output>
            switch Wire.Status(rawValue: status) {
            case .ok:
                do {
                    outcome = .success(try decoder.decodeEntry(J.Output.self, in: body.startIndex..<body.endIndex))
                } catch {
                    outcome = .failure(ItemFailure(index: index, kind: .protocolError, message: "cannot decode output: \(error)"))
                }
            case .jobError:
                outcome = .failure(ItemFailure(index: index, kind: .jobError, message: String(decoding: body, as: UTF8.self)))
            case .protocolError:
                outcome = .failure(ItemFailure(index: index, kind: .protocolError, message: String(decoding: body, as: UTF8.self)))
            case nil:
                throw .malformed("unknown result status \(status)")
            }
            (outcomes.baseAddress! + initialized).initialize(to: outcome)
            initialized += 1
        }
        let failures = encodeFailures.withLock { failures -> [(Int, String)] in
            guard !failures.isEmpty else { return [] }
            let found = items.compactMap { index in failures.removeValue(forKey: index).map { (index, $0) } }
            return found
        }
        for (index, message) in failures {
            outcomes[index - items.lowerBound] = .failure(ItemFailure(index: index, kind: .protocolError, message: message))
        }
        initialized = 0
        core.finish(items, taking: outcomes, seconds: seconds)
    }

    func fail(_ items: Range<Int>, kind: ItemFailure.Kind, message: String) {
        core.fail(items, kind: kind, message: message)
    }

    func started(_ items: Range<Int>) { core.started(items) }
}
