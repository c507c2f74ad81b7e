internal import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The frames exchanged between a ``ProcessPool`` and its workers over the worker's stdin/stdout.
///
/// Every frame is `magic (1 byte) · kind (1 byte) · payload length (UInt32, big-endian) · payload`.
/// Requests carry a job name and one or more encoded inputs; replies carry one status and encoded
/// output (or error message) per input. The magic bytes differ by direction so that stray output
/// is recognised as garbage at once rather than misread as a length.
enum Wire {
    static let requestMagic: UInt8 = 0x54   // "T"
    static let replyMagic: UInt8 = 0x7A     // "z"
    static let protocolVersion = "trenza-wire/2"
    /// Anything larger is treated as garbage rather than allocated.
    static let maximumPayload = 1 << 30

    enum Kind: UInt8 {
        /// Worker → pool, once: the protocol version.
        case hello = 1
        /// Pool → worker: `job id · count · (length · input)*`.
        case run = 2
        /// Worker → pool: `count · (status · length · body)*`, one entry per input of a run.
        case results = 3
        /// Pool → worker: `job id · parcel` — the job's type name and value, once per worker.
        case defineJob = 4
        /// Pool → worker, right after hello: a ``WorkerSetup`` parcel to run once.
        case setup = 5
        /// Worker → pool: one entry, the setup's status and error message.
        case setupResult = 6
    }

    enum Status: UInt8 {
        case ok = 0
        case jobError = 1
        case protocolError = 2
    }

    static func frame(kind: Kind, payload: [UInt8], magic: UInt8) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(6 + payload.count)
        bytes.append(magic)
        bytes.append(kind.rawValue)
        appendUInt32(payload.count, to: &bytes)
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// A request that carries one parcel, after `prefix` (the job id of a definition).
    static func parcelFrame(kind: Kind, prefix: UInt32? = nil, _ parcel: JobTravel.Parcel) -> [UInt8] {
        var payload: [UInt8] = []
        if let prefix { appendUInt32(Int(prefix), to: &payload) }
        appendUInt32(Int(parcel.anchor >> 32), to: &payload)
        appendUInt32(Int(parcel.anchor & 0xFFFF_FFFF), to: &payload)
        appendUInt32(parcel.typeName.utf8.count, to: &payload)
        payload.append(contentsOf: parcel.typeName.utf8)
        if let value = parcel.value {
            payload.append(1)
            appendUInt32(value.count, to: &payload)
            payload.append(contentsOf: value)
        } else {
            payload.append(0)
        }
        if let offset = parcel.metadataOffset {
            payload.append(1)
            let bits = UInt64(bitPattern: offset)
            appendUInt32(Int(bits >> 32), to: &payload)
            appendUInt32(Int(bits & 0xFFFF_FFFF), to: &payload)
            appendUInt32(parcel.image.utf8.count, to: &payload)
            payload.append(contentsOf: parcel.image.utf8)
        } else {
            payload.append(0)
        }
        return frame(kind: kind, payload: payload, magic: requestMagic)
    }

    static func appendUInt32(_ value: Int, to bytes: inout [UInt8]) {
        let v = UInt32(truncatingIfNeeded: value)
        bytes.append(UInt8(v >> 24)); bytes.append(UInt8((v >> 16) & 0xFF))
        bytes.append(UInt8((v >> 8) & 0xFF)); bytes.append(UInt8(v & 0xFF))
    }

    static func patchUInt32(_ value: Int, at offset: Int, in bytes: inout [UInt8]) {
        let v = UInt32(truncatingIfNeeded: value)
        bytes[offset] = UInt8(v >> 24); bytes[offset + 1] = UInt8((v >> 16) & 0xFF)
        bytes[offset + 2] = UInt8((v >> 8) & 0xFF); bytes[offset + 3] = UInt8(v & 0xFF)
    }

    /// Builds one frame of length-prefixed entries in place: each value is encoded straight into
    /// the frame, with no intermediate buffer per item.
    ///
    /// A run request is `name length · name · count · (length · input)*`; a results reply is
    /// `count · (status · length · body)*`.
    struct FrameBuilder {
        private let core: BinaryEncoderCore
        private let countOffset: Int
        private(set) var count = 0

        /// A run request for the job the worker knows as `jobID`.
        init(run jobID: UInt32) {
            core = BinaryEncoderCore(bytes: [Wire.requestMagic, Kind.run.rawValue, 0, 0, 0, 0])
            core.appendBigEndianUInt32(Int(jobID))
            countOffset = core.count
            core.appendBigEndianUInt32(0)
        }

        /// A worker's reply of one or more entries (`results`, `setupResult`).
        init(kind: Kind) {
            core = BinaryEncoderCore(bytes: [Wire.replyMagic, kind.rawValue, 0, 0, 0, 0])
            countOffset = core.count
            core.appendBigEndianUInt32(0)
        }

        /// Bytes in the frame so far.
        var byteCount: Int { core.count }

        /// Appends an entry whose body `write` encodes into the frame, after a status byte when
        /// one is given. If `write` throws, the frame is left as it was and the error rethrown.
        mutating func append(status: Status? = nil, _ write: (BinaryEncoderCore) throws -> Void) rethrows {
            let mark = core.count
            if let status { core.append(status.rawValue) }
            let lengthOffset = core.count
            core.appendBigEndianUInt32(0)
            do {
                try write(core)
            } catch {
                core.truncate(to: mark)
                throw error
            }
            core.patchBigEndianUInt32(core.count - lengthOffset - 4, at: lengthOffset)
            count += 1
        }

        /// Appends an entry of raw bytes.
        mutating func append(status: Status? = nil, bytes: some Sequence<UInt8>) {
            append(status: status) { core in core.append(contentsOf: bytes) }
        }

        /// Completes the frame's header fields.
        private func seal() {
            core.patchBigEndianUInt32(count, at: countOffset)
            core.patchBigEndianUInt32(core.count - 6, at: 2)
        }

        /// The finished frame.
        func finish() -> [UInt8] {
            seal()
            return core.bytes
        }

        /// Appends the finished frame to `bytes` (one copy, no intermediate array).
        func finish(appendingTo bytes: inout [UInt8]) {
            seal()
            core.withBytes { bytes.append(contentsOf: $0) }
        }
    }

    /// Reads fields in order from a payload; throws on a short or inconsistent payload.
    struct PayloadReader {
        let bytes: [UInt8]
        var offset = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func uint8() throws(WireError) -> UInt8 {
            guard offset < bytes.count else { throw .malformed("payload ends early") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func uint32() throws(WireError) -> Int {
            guard offset + 4 <= bytes.count else { throw .malformed("payload ends early") }
            defer { offset += 4 }
            return Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16
                | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        }

        var remaining: Int { bytes.count - offset }

        mutating func uint32Value() throws(WireError) -> UInt32 { UInt32(try uint32()) }

        mutating func uint64() throws(WireError) -> UInt64 {
            let high = UInt64(try uint32()), low = UInt64(try uint32())
            return high << 32 | low
        }

        /// A count of entries that each take at least `minimumEntrySize` bytes: never more than
        /// the rest of the payload could hold, whatever the frame claims.
        mutating func count(minimumEntrySize: Int) throws(WireError) -> Int {
            let count = try uint32()
            guard count <= remaining / max(1, minimumEntrySize) else {
                throw .malformed("the frame claims \(count) entries but holds \(remaining) bytes")
            }
            return count
        }

        /// A job or setup parcel: `anchor · name length · name · has value · [value length · value]`.
        mutating func parcel() throws(WireError) -> JobTravel.Parcel {
            let anchor = try uint64()
            let name = String(decoding: try slice(try uint32()), as: UTF8.self)
            let value: [UInt8]? = try uint8() == 0 ? nil : Array(try slice(try uint32()))
            var parcel = JobTravel.Parcel(typeName: name, anchor: anchor, value: value)
            if try uint8() != 0 {
                parcel.metadataOffset = Int64(bitPattern: try uint64())
                parcel.image = String(decoding: try slice(try uint32()), as: UTF8.self)
            }
            return parcel
        }

        mutating func slice(_ count: Int) throws(WireError) -> ArraySlice<UInt8> {
            guard count >= 0, offset + count <= bytes.count else { throw .malformed("payload ends early") }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }
    }
}

/// What can go wrong reading or writing a frame.
enum WireError: Error, Equatable {
    /// The other end closed the pipe.
    case endOfStream
    /// The deadline passed before a whole frame arrived.
    case timedOut
    /// The bytes are not a frame; the associated text says what was seen.
    case malformed(String)
    /// A system call failed.
    case system(String)
}

/// Buffered, deadline-aware reading of frames from a file descriptor.
final class FrameReader {
    let fd: Int32
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Unread bytes are `storage[start..<end]`.
    private var start = 0
    private var end = 0

    init(fd: Int32) {
        self.fd = fd
        capacity = 1 << 16
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    /// Reads one frame sent with `magic`. `deadline` is in ``monotonicSeconds()``; `nil` waits forever.
    func readFrame(magic: UInt8, deadline: Double? = nil) throws(WireError) -> (Wire.Kind, [UInt8]) {
        try fill(6, deadline: deadline)
        guard storage[start] == magic, let kind = Wire.Kind(rawValue: storage[start + 1]) else {
            throw .malformed("unexpected bytes \(hexPreview(unread))")
        }
        let length = Int(storage[start + 2]) << 24 | Int(storage[start + 3]) << 16
            | Int(storage[start + 4]) << 8 | Int(storage[start + 5])
        guard length <= Wire.maximumPayload else {
            throw .malformed("frame length \(length) is beyond the limit")
        }
        try fill(6 + length, deadline: deadline)
        let payload = Array(UnsafeBufferPointer(start: storage + start + 6, count: length))
        start += 6 + length
        return (kind, payload)
    }

    /// The next frame if all of it is buffered already, else `nil`.
    func bufferedFrame(magic: UInt8) throws(WireError) -> (Wire.Kind, [UInt8])? {
        guard end - start >= 6 else { return nil }
        guard storage[start] == magic, let kind = Wire.Kind(rawValue: storage[start + 1]) else {
            throw .malformed("unexpected bytes \(hexPreview(unread))")
        }
        let length = Int(storage[start + 2]) << 24 | Int(storage[start + 3]) << 16
            | Int(storage[start + 4]) << 8 | Int(storage[start + 5])
        guard length <= Wire.maximumPayload else { throw .malformed("frame length \(length) is beyond the limit") }
        guard end - start >= 6 + length else { return nil }
        let payload = Array(UnsafeBufferPointer(start: storage + start + 6, count: length))
        start += 6 + length
        return (kind, payload)
    }

    /// One `read` of whatever is available (the descriptor was reported readable).
    func readAvailable() throws(WireError) {
        makeRoom(for: min(neededForNextFrame, end - start + (1 << 20)))
        let got = try readIntoFreeSpace()
        if got == 0 {
            if end > start { throw .malformed("stream ended inside a frame after \(hexPreview(unread))") }
            throw .endOfStream
        }
        end += got
    }

    /// One `read` into the free space after the buffered bytes (retried when interrupted).
    private func readIntoFreeSpace() throws(WireError) -> Int {
        do {
            return try FileDescriptor(rawValue: fd).read(into: UnsafeMutableRawBufferPointer(start: storage + end, count: capacity - end))
        } catch {
            throw .system("read failed: \(error)")
        }
    }

    /// Bytes the frame being received needs in the buffer (at least a little more than is there).
    private var neededForNextFrame: Int {
        guard end - start >= 6 else { return max(end - start + 4096, 6) }
        let length = Int(storage[start + 2]) << 24 | Int(storage[start + 3]) << 16
            | Int(storage[start + 4]) << 8 | Int(storage[start + 5])
        return max(6 + min(length, Wire.maximumPayload), end - start + 4096)
    }

    private var unread: ArraySlice<UInt8> {
        Array(UnsafeBufferPointer(start: storage + start, count: end - start))[...]
    }

    /// Ensures at least `count` unread bytes are buffered.
    private func fill(_ count: Int, deadline: Double?) throws(WireError) {
        while end - start < count {
            // Grow as bytes arrive, not by what a header claims: a lying length costs nothing.
            makeRoom(for: min(count, end - start + (1 << 20)))
            if let deadline { try waitReadable(until: deadline) }
            let got = try readIntoFreeSpace()
            if got == 0 {
                if end > start {
                    throw .malformed("stream ended inside a frame after \(hexPreview(unread))")
                }
                throw .endOfStream
            }
            end += got
        }
    }

    /// Moves unread bytes to the front and grows the buffer so `count` bytes fit.
    private func makeRoom(for count: Int) {
        if start > 0 {
            if end > start { memmove(storage, storage + start, end - start) }
            end -= start
            start = 0
        }
        if capacity < count {
            var newCapacity = capacity
            while newCapacity < count { newCapacity *= 2 }
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            bigger.update(from: storage, count: end)
            storage.deallocate()
            storage = bigger
            capacity = newCapacity
        }
    }

    private func waitReadable(until deadline: Double) throws(WireError) {
        while true {
            let remaining = deadline - monotonicSeconds()
            if remaining <= 0 { throw .timedOut }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(remaining * 1000 + 1, Double(Int32.max)))
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw .system("poll failed: \(Errno(rawValue: errno))") }
        }
    }
}

/// Writes all of `bytes` to `fd`, retrying short writes; throws ``WireError/endOfStream`` when the
/// reader has gone (EPIPE).
func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(WireError) {
    do {
        _ = try FileDescriptor(rawValue: fd).writeAll(bytes)
    } catch Errno.brokenPipe {
        throw .endOfStream
    } catch {
        throw .system("write failed: \(error)")
    }
}

/// Up to 16 bytes as hex and, where printable, as text: enough to recognise stray output.
func hexPreview(_ bytes: ArraySlice<UInt8>) -> String {
    let head = bytes.prefix(16)
    let hex = head.map { String($0, radix: 16, uppercase: true).leftPadded(to: 2) }.joined(separator: " ")
    let text = String(decoding: head.map { (0x20..<0x7F).contains($0) ? $0 : 0x2E }, as: UTF8.self)
    return "\(hex) (\"\(text)\")"
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
