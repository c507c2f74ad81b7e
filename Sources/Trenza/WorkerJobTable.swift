/// The jobs a worker process has been sent, by the number the pool gave each, and the frames
/// that use them.
struct WorkerJobTable {
    /// Runs the `count` encoded inputs at the reader's position and appends a result for each
    /// to the reply.
    typealias Handler = (_ request: inout Wire.PayloadReader, _ count: Int, _ reply: inout Wire.FrameBuilder) throws(WireError) -> Void

    private enum Entry {
        case ready(Handler)
        /// The job could not be rebuilt here; every item of it fails with this message.
        case unusable(String)
    }

    private var entries: [UInt32: Entry] = [:]

    /// Handles one request frame; returns the reply to send, if the frame asks for one.
    mutating func handle(_ kind: Wire.Kind, _ payload: [UInt8]) throws(WireError) -> [UInt8]? {
        var reader = Wire.PayloadReader(payload)
        switch kind {
        case .defineJob:
            let id = try reader.uint32Value()
            let parcel = try reader.parcel()
            entries[id] = Self.entry(for: parcel)
            return nil
        case .setup:
            let parcel = try reader.parcel()
            var reply = Wire.FrameBuilder(kind: .setupResult)
            do {
                try Self.runSetup(parcel)
                reply.append(status: .ok, bytes: [])
            } catch {
                reply.append(status: .jobError, bytes: describe(error).utf8)
            }
            return reply.finish()
        case .run:
            return try run(&reader)
        case .hello, .results, .setupResult:
            throw .malformed("a worker does not accept \(kind) frames")
        }
    }

    private func run(_ reader: inout Wire.PayloadReader) throws(WireError) -> [UInt8] {
        let id = try reader.uint32Value()
        // Each input takes at least its 4-byte length: a count beyond that is a lie.
        let count = try reader.count(minimumEntrySize: 4)
        var reply = Wire.FrameBuilder(kind: .results)
        switch entries[id] {
        case nil:
            let message = "job #\(id) was never defined in this worker"
            for _ in 0..<count { reply.append(status: .protocolError, bytes: message.utf8) }
        case .unusable(let message):
            for _ in 0..<count { reply.append(status: .protocolError, bytes: message.utf8) }
        case .ready(let handler):
            try handler(&reader, count, &reply)
        }
        return reply.finish()
    }

    private static func entry(for parcel: JobTravel.Parcel) -> Entry {
        guard let type = JobTravel.resolve(parcel) else {
            return .unusable("the job type \(parcel.typeName) does not exist in the worker executable (a pool's worker must be the same program, or one that links the job's module)")
        }
        guard let jobType = type as? any Job.Type else {
            return .unusable("\(type) is not a Job")
        }
        do {
            return .ready(try handler(for: jobType, value: parcel.value))
        } catch {
            return .unusable(describe(error))
        }
    }

    private static func handler<J: Job>(for type: J.Type, value: [UInt8]?) throws -> Handler {
        let job = try JobTravel.rebuild(J.self, from: value)
        let bulkInput = J.Input.self as? any WireScalar.Type
        let bulkOutput = J.Output.self as? any WireScalar.Type
        return { (reader: inout Wire.PayloadReader, count: Int, reply: inout Wire.FrameBuilder) throws(WireError) in
            let frame = BinaryDecoderCore(bytes: reader.bytes[...])
            let input = UnsafeMutablePointer<J.Input>.allocate(capacity: 1)
            defer { input.deallocate() }
            for _ in 0..<count {
                let range = try reader.slice(try reader.uint32()).indices
                // Numbers, strings and flags are decoded and encoded by code compiled for those
                // types (see WireScalar); anything else, or bytes they decline, through Codable.
                let decoded = bulkInput.map { bulk in
                    reader.bytes.withUnsafeBytes { bulk.decodeBody(UnsafeRawBufferPointer(rebasing: $0[range]), into: input) }
                } ?? false
                if !decoded {
                    do {
                        input.initialize(to: try frame.decodeEntry(J.Input.self, in: range))
                    } catch {
                        reply.append(status: .protocolError, bytes: "cannot decode input for \(J.self): \(error)".utf8)
                        continue
                    }
                }
                let output: J.Output
                do {
                    output = try job.run(input.move())
                } catch {
                    reply.append(status: .jobError, bytes: describe(error).utf8)
                    continue
                }
                if let bulkOutput {
                    withUnsafePointer(to: output) { bulkOutput.appendResult($0, to: &reply) }
                    continue
                }
                do {
                    try reply.append(status: .ok) { encoder in try encoder.encodeValue(output, codingPath: []) }
                } catch {
                    reply.append(status: .protocolError, bytes: "cannot encode output of \(J.self): \(error)".utf8)
                }
            }
        }
    }

    private static func runSetup(_ parcel: JobTravel.Parcel) throws {
        guard let type = JobTravel.resolve(parcel) else {
            throw JobError("the setup type \(parcel.typeName) does not exist in the worker executable")
        }
        guard let setupType = type as? any WorkerSetup.Type, let value = parcel.value else {
            throw JobError("\(type) is not a WorkerSetup")
        }
        let setup = try BinaryCodec.decode(setupType, from: value[...])
        try setup.setUp()
    }
}
