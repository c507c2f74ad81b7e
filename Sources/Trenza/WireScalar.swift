/// A type whose values the process engine moves in bulk with code compiled for that type.
///
/// Pools are generic over the caller's job, whose types live in another module, so the engine's
/// per-item code runs unspecialised: every copy, encode and decode of a value goes through the
/// type's metadata. For a job of numbers in and numbers out that overhead is most of the cost.
/// For the common scalar types the engine therefore asks once per chunk whether the job's
/// input or output is one of them, and if so runs a loop written for that type. The bytes are
/// the same as ``BinaryEncoderCore/encodeValue(_:codingPath:)`` writes, so either side may take
/// either path.
///
/// The bulk operations are requirements, not extension methods, so that each conformance gets
/// its own specialised copy: a generic method reached through an existential would run
/// unspecialised again.
protocol WireScalar: Codable {
    /// Writes `value` as one entry body: its tag and payload.
    static func encodeBody(_ value: Self, into core: BinaryEncoderCore)
    /// Reads an entry body written by ``encodeBody(_:into:)``; `nil` when it is not one.
    static func decodeBody(_ body: UnsafeRawBufferPointer) -> Self?

    // The bulk operations take their values through raw pointers, typed by the caller's check
    // that the job's type is `Self`: a generic parameter here would leave them unspecialised.

    /// Appends the inputs at `values` (an initialized `[Self]`) to a run request, as many as fit
    /// in `budget` bytes and at least one; returns how many.
    static func appendInputs(_ values: UnsafeRawPointer, to request: inout Wire.FrameBuilder, budget: Int) -> Int
    /// Decodes an entry body into `destination` (uninitialized memory for one `Self`); false,
    /// leaving it uninitialized, when the body is not a plain `Self`.
    static func decodeBody(_ body: UnsafeRawBufferPointer, into destination: UnsafeMutableRawPointer) -> Bool
    /// Appends a successful result whose value is at `value` (an initialized `Self`).
    static func appendResult(_ value: UnsafeRawPointer, to reply: inout Wire.FrameBuilder)
    /// Decodes the results entries of `items` from a reply into `destination` (room for
    /// `items.count` values of `Outcome<Self>`), counting in `initialized` the ones it has set.
    static func decodeOutcomes(
        _ reader: inout Wire.PayloadReader, items: Range<Int>, into destination: UnsafeMutableRawPointer,
        initialized: inout Int
    ) throws(WireError)
}

extension WireScalar {
    static func appendInputs(_ values: UnsafeRawPointer, to request: inout Wire.FrameBuilder, budget: Int) -> Int {
        let values = values.assumingMemoryBound(to: [Self].self)
        var sent = 0
        for value in values.pointee {
            if sent > 0 && request.byteCount >= budget { break }
            request.append { core in encodeBody(value, into: core) }
            sent += 1
        }
        return sent
    }

    static func decodeBody(_ body: UnsafeRawBufferPointer, into destination: UnsafeMutableRawPointer) -> Bool {
        guard let value = decodeBody(body) else { return false }
        destination.initializeMemory(as: Self.self, to: value)
        return true
    }

    static func appendResult(_ value: UnsafeRawPointer, to reply: inout Wire.FrameBuilder) {
        let value = value.assumingMemoryBound(to: Self.self)
        reply.append(status: .ok) { core in encodeBody(value.pointee, into: core) }
    }

    static func decodeOutcomes(
        _ reader: inout Wire.PayloadReader, items: Range<Int>, into destination: UnsafeMutableRawPointer,
        initialized: inout Int
    ) throws(WireError) {
        let outcomes = destination.assumingMemoryBound(to: Outcome<Self>.self)
        let decoder = BinaryDecoderCore(bytes: reader.bytes[...])
        for index in items {
            let status = try reader.uint8()
            let length = try reader.uint32()
            guard reader.remaining >= length else { throw .malformed("payload ends early") }
            let start = reader.offset
            reader.offset += length
            let outcome: Outcome<Self>
            switch Wire.Status(rawValue: status) {
            case .ok:
                let fast = reader.bytes.withUnsafeBytes { decodeBody(UnsafeRawBufferPointer(rebasing: $0[start..<start + length])) }
                if let fast {
                    outcome = .success(fast)
                } else if let value = try? decoder.decodeEntry(Self.self, in: start..<start + length) {
                    // Another encoding of the same value (an integer that came as unsigned).
                    outcome = .success(value)
                } else {
                    outcome = .failure(ItemFailure(index: index, kind: .protocolError, message: "cannot decode output as \(Self.self)"))
                }
            case .jobError:
                outcome = .failure(ItemFailure(index: index, kind: .jobError, message: String(decoding: reader.bytes[start..<start + length], as: UTF8.self)))
            case .protocolError:
                outcome = .failure(ItemFailure(index: index, kind: .protocolError, message: String(decoding: reader.bytes[start..<start + length], as: UTF8.self)))
            case nil:
                throw .malformed("unknown result status \(status)")
            }
            (outcomes + initialized).initialize(to: outcome)
            initialized += 1
        }
    }
}

extension Int: WireScalar {
    static func encodeBody(_ value: Int, into core: BinaryEncoderCore) {
        core.tag(.int)
        core.raw(Int64(value))
    }

    static func decodeBody(_ body: UnsafeRawBufferPointer) -> Int? {
        guard body.count == 9, body[0] == BinaryTag.int.rawValue else { return nil }
        return Int(Int64(littleEndian: body.loadUnaligned(fromByteOffset: 1, as: Int64.self)))
    }
}

extension Double: WireScalar {
    static func encodeBody(_ value: Double, into core: BinaryEncoderCore) {
        core.tag(.double)
        core.raw(value.bitPattern)
    }

    static func decodeBody(_ body: UnsafeRawBufferPointer) -> Double? {
        guard body.count == 9, body[0] == BinaryTag.double.rawValue else { return nil }
        return Double(bitPattern: UInt64(littleEndian: body.loadUnaligned(fromByteOffset: 1, as: UInt64.self)))
    }
}

extension Bool: WireScalar {
    static func encodeBody(_ value: Bool, into core: BinaryEncoderCore) {
        core.tag(value ? .true : .false)
    }

    static func decodeBody(_ body: UnsafeRawBufferPointer) -> Bool? {
        guard body.count == 1 else { return nil }
        switch body[0] {
        case BinaryTag.true.rawValue: return true
        case BinaryTag.false.rawValue: return false
        default: return nil
        }
    }
}

extension String: WireScalar {
    static func encodeBody(_ value: String, into core: BinaryEncoderCore) {
        core.tag(.string)
        core.rawString(value)
    }

    static func decodeBody(_ body: UnsafeRawBufferPointer) -> String? {
        guard body.count >= 5, body[0] == BinaryTag.string.rawValue else { return nil }
        let length = Int(UInt32(littleEndian: body.loadUnaligned(fromByteOffset: 1, as: UInt32.self)))
        guard body.count == 5 + length else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: body[5...]), as: UTF8.self)
    }
}
