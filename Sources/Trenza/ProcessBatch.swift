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
        bytes += request.finish()
        return request.count
    }

    func deliver(_ items: Range<Int>, payload: [UInt8], seconds: Double) throws(WireError) {
        var reader = Wire.PayloadReader(payload)
        let count = try reader.count(minimumEntrySize: 5)
        guard count == items.count else { throw .malformed("\(count) results for \(items.count) inputs") }
        var outcomes: [Outcome<J.Output>] = []
        outcomes.reserveCapacity(count)
        let decoder = BinaryDecoderCore(bytes: payload[...])
        for index in items {
            let status = try reader.uint8()
            let body = try reader.slice(try reader.uint32())
            switch Wire.Status(rawValue: status) {
            case .ok:
                do {
                    outcomes.append(.success(try decoder.decodeEntry(J.Output.self, in: body.startIndex..<body.endIndex)))
                } catch {
                    outcomes.append(.failure(ItemFailure(index: index, kind: .protocolError, message: "cannot decode output: \(error)")))
                }
            case .jobError:
                outcomes.append(.failure(ItemFailure(index: index, kind: .jobError, message: String(decoding: body, as: UTF8.self))))
            case .protocolError:
                outcomes.append(.failure(ItemFailure(index: index, kind: .protocolError, message: String(decoding: body, as: UTF8.self))))
            case nil:
                throw .malformed("unknown result status \(status)")
            }
        }
        let failures = encodeFailures.withLock { failures -> [(Int, String)] in
            guard !failures.isEmpty else { return [] }
            let found = items.compactMap { index in failures.removeValue(forKey: index).map { (index, $0) } }
            return found
        }
        for (index, message) in failures {
            outcomes[index - items.lowerBound] = .failure(ItemFailure(index: index, kind: .protocolError, message: message))
        }
        core.finish(items, outcomes, seconds: seconds)
    }

    func fail(_ items: Range<Int>, kind: ItemFailure.Kind, message: String) {
        core.fail(items, kind: kind, message: message)
    }

    func started(_ items: Range<Int>) { core.started(items) }
}
