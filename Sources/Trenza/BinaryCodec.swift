/// A compact binary encoding for any `Codable` value: how job inputs and outputs travel between a
/// pool and its workers.
///
/// JSON costs about a microsecond per value in fixed overhead, which dominates tiny jobs. Here
/// every value is one tag byte and its payload: scalars as little-endian bytes, strings as
/// length + UTF-8, containers as a count and their elements (keyed ones with each key), so that a
/// decoder can skip any value and find fields by name in any order. Private to the wire protocol:
/// both ends are the same program, so there is no versioning. `package` so that the bench can
/// report how many bytes an item's input and output take on the wire.
package enum BinaryCodec {
    package static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let core = BinaryEncoderCore()
        try core.encodeValue(value, codingPath: [])
        return core.bytes
    }

    /// Decodes from a slice in place (no copy): the slice may be part of a larger frame.
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: ArraySlice<UInt8>) throws -> T {
        let core = BinaryDecoderCore(bytes: bytes)
        let value = try core.decodeValue(type, codingPath: [])
        guard core.position == bytes.endIndex || core.isUnreadEmptyContainer(from: bytes.startIndex, to: bytes.endIndex) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(bytes.endIndex - core.position) bytes left over after \(type)"))
        }
        return value
    }
}

extension BinaryDecoderCore {
    /// Decodes one value that must fill `range` of this decoder's bytes exactly: many entries of
    /// a frame share one decoder instead of allocating one each.
    func decodeEntry<T: Decodable>(_ type: T.Type, in range: Range<Int>) throws -> T {
        position = range.lowerBound
        let value = try decodeValue(type, codingPath: [])
        guard position == range.upperBound || isUnreadEmptyContainer(from: range.lowerBound, to: range.upperBound) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(range.upperBound - position) bytes left over after \(type)"))
        }
        return value
    }
}

extension BinaryDecoderCore {
    /// True when a value read nothing of an entry that holds just an empty keyed container: a
    /// type without properties encodes one, and its synthesised decoder never opens it.
    func isUnreadEmptyContainer(from start: Int, to end: Int) -> Bool {
        position == start && end - start == 5 && bytes[start] == BinaryTag.keyed.rawValue
            && bytes[(start + 1)..<end].allSatisfy { $0 == 0 }
    }
}

enum BinaryTag: UInt8 {
    case null = 0, `false`, `true`, int, uint, double, float, string, unkeyed, keyed, bytes
}

// MARK: - Encoding

final class BinaryEncoderCore {
    // A growable buffer of our own rather than `[UInt8]`: appending a few bytes to an array
    // goes through a generic copy and a `memmove` call per scalar, which was the larger part of
    // encoding a tiny item. One owner at a time (the frame being built), so no locking.
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private(set) var count = 0

    init(bytes: [UInt8] = []) {
        capacity = max(64, bytes.count * 2)
        storage = .allocate(byteCount: capacity, alignment: 8)
        bytes.withUnsafeBytes { append(contentsOf: $0) }
    }

    deinit { storage.deallocate() }

    /// A copy of the bytes written so far.
    var bytes: [UInt8] {
        [UInt8](UnsafeRawBufferPointer(start: storage, count: count))
    }

    /// The bytes written so far, without a copy; valid until the next write.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    @inline(__always)
    private func reserve(_ more: Int) {
        if count + more > capacity { grow(to: count + more) }
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        bigger.copyMemory(from: storage, byteCount: count)
        storage.deallocate()
        storage = bigger
        capacity = newCapacity
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        reserve(1)
        storage.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    func append(contentsOf raw: UnsafeRawBufferPointer) {
        guard raw.count > 0 else { return }
        reserve(raw.count)
        (storage + count).copyMemory(from: raw.baseAddress!, byteCount: raw.count)
        count += raw.count
    }

    func append(contentsOf bytes: some Sequence<UInt8>) {
        let copied: Void? = bytes.withContiguousStorageIfAvailable { append(contentsOf: UnsafeRawBufferPointer($0)) }
        if copied == nil { for byte in bytes { append(byte) } }
    }

    /// Forgets everything written after the first `newCount` bytes.
    func truncate(to newCount: Int) {
        precondition(newCount <= count)
        count = newCount
    }

    @inline(__always)
    func raw<T: FixedWidthInteger>(_ value: T) {
        reserve(MemoryLayout<T>.size)
        storage.storeBytes(of: value.littleEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    /// Appends a frame-level field: a big-endian 32-bit length or count.
    @inline(__always)
    func appendBigEndianUInt32(_ value: Int) {
        reserve(4)
        storage.storeBytes(of: UInt32(truncatingIfNeeded: value).bigEndian, toByteOffset: count, as: UInt32.self)
        count += 4
    }

    func patchBigEndianUInt32(_ value: Int, at offset: Int) {
        precondition(offset + 4 <= count)
        storage.storeBytes(of: UInt32(truncatingIfNeeded: value).bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    @inline(__always)
    func tag(_ tag: BinaryTag) { append(tag.rawValue) }

    func rawString(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            raw(UInt32(utf8.count))
            append(contentsOf: UnsafeRawBufferPointer(utf8))
        }
    }

    /// Starts a container: its tag and a count that ``increment(_:)`` keeps up to date.
    func beginContainer(_ tag: BinaryTag) -> Int {
        self.tag(tag)
        let offset = count
        raw(UInt32(0))
        return offset
    }

    func increment(_ countOffset: Int) {
        precondition(countOffset + 4 <= count)
        let current = storage.loadUnaligned(fromByteOffset: countOffset, as: UInt32.self)
        storage.storeBytes(of: UInt32(littleEndian: current) &+ 1, toByteOffset: countOffset, as: UInt32.self)
    }

    func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        // The common scalars go straight to bytes; everything else through its own encode(to:).
        // Exact type tests, not `as?` casts: a cast would also accept an empty array of any
        // element type as `[UInt8]`, or unwrap an optional.
        func bits<U>(_: U.Type) -> U { unsafeBitCast(value, to: U.self) }
        switch T.self {
        case is Int.Type: tag(.int); raw(Int64(bits(Int.self)))
        case is String.Type: tag(.string); rawString(bits(String.self))
        case is Double.Type: tag(.double); raw(bits(Double.self).bitPattern)
        case is Bool.Type: tag(bits(Bool.self) ? .true : .false)
        case is Int64.Type: tag(.int); raw(bits(Int64.self))
        case is Int32.Type: tag(.int); raw(Int64(bits(Int32.self)))
        case is Int16.Type: tag(.int); raw(Int64(bits(Int16.self)))
        case is Int8.Type: tag(.int); raw(Int64(bits(Int8.self)))
        case is UInt.Type: tag(.uint); raw(UInt64(bits(UInt.self)))
        case is UInt64.Type: tag(.uint); raw(bits(UInt64.self))
        case is UInt32.Type: tag(.uint); raw(UInt64(bits(UInt32.self)))
        case is UInt16.Type: tag(.uint); raw(UInt64(bits(UInt16.self)))
        case is UInt8.Type: tag(.uint); raw(UInt64(bits(UInt8.self)))
        case is Float.Type: tag(.float); raw(bits(Float.self).bitPattern)
        case is [UInt8].Type:
            let array = bits([UInt8].self)
            tag(.bytes)
            raw(UInt32(array.count))
            append(contentsOf: array)
        default:
            try value.encode(to: BinaryEncoder(core: self, codingPath: codingPath))
        }
    }
}

struct BinaryEncoder: Encoder {
    let core: BinaryEncoderCore
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(BinaryKeyedEncoding<Key>(core: core, codingPath: codingPath, countOffset: core.beginContainer(.keyed)))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        BinaryUnkeyedEncoding(core: core, codingPath: codingPath, countOffset: core.beginContainer(.unkeyed))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        BinarySingleValueEncoding(core: core, codingPath: codingPath)
    }
}

struct BinarySingleValueEncoding: SingleValueEncodingContainer {
    let core: BinaryEncoderCore
    var codingPath: [any CodingKey]

    mutating func encodeNil() throws { core.tag(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws { try core.encodeValue(value, codingPath: codingPath) }
}

struct BinaryUnkeyedEncoding: UnkeyedEncodingContainer {
    let core: BinaryEncoderCore
    var codingPath: [any CodingKey]
    let countOffset: Int
    private(set) var count = 0

    init(core: BinaryEncoderCore, codingPath: [any CodingKey], countOffset: Int) {
        self.core = core
        self.codingPath = codingPath
        self.countOffset = countOffset
    }

    private mutating func counted() {
        count += 1
        core.increment(countOffset)
    }

    mutating func encodeNil() throws {
        counted()
        core.tag(.null)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        counted()
        try core.encodeValue(value, codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        counted()
        return BinaryEncoder(core: core, codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        counted()
        return BinaryEncoder(core: core, codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        counted()
        return BinaryEncoder(core: core, codingPath: codingPath)
    }
}

struct BinaryKeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let core: BinaryEncoderCore
    var codingPath: [any CodingKey]
    let countOffset: Int

    private func key(_ key: Key) {
        core.increment(countOffset)
        core.rawString(key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws {
        self.key(key)
        core.tag(.null)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        self.key(key)
        try core.encodeValue(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        self.key(key)
        return BinaryEncoder(core: core, codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        self.key(key)
        return BinaryEncoder(core: core, codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        superEncoder(forKey: Key(stringValue: "super")!)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        self.key(key)
        return BinaryEncoder(core: core, codingPath: codingPath + [key])
    }
}

// MARK: - Decoding

final class BinaryDecoderCore {
    /// Positions are indices of this slice (they start at its `startIndex`, not at 0).
    let bytes: ArraySlice<UInt8>
    @exclusivity(unchecked) var position: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    func corrupt(_ message: String, _ codingPath: [any CodingKey]) -> DecodingError {
        .dataCorrupted(.init(codingPath: codingPath, debugDescription: message))
    }

    func need(_ count: Int, _ codingPath: [any CodingKey]) throws {
        guard count >= 0, position + count <= bytes.endIndex else { throw corrupt("data ends early", codingPath) }
    }

    @inline(__always)
    func raw<T: FixedWidthInteger>(_ type: T.Type, _ codingPath: [any CodingKey]) throws -> T {
        try need(MemoryLayout<T>.size, codingPath)
        let offset = position - bytes.startIndex
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        position += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    func readTag(_ codingPath: [any CodingKey]) throws -> BinaryTag {
        try need(1, codingPath)
        guard let tag = BinaryTag(rawValue: bytes[position]) else { throw corrupt("unknown tag \(bytes[position])", codingPath) }
        position += 1
        return tag
    }

    func peekTag() -> BinaryTag? {
        position < bytes.endIndex ? BinaryTag(rawValue: bytes[position]) : nil
    }

    func expect(_ tag: BinaryTag, for type: Any.Type, _ codingPath: [any CodingKey]) throws {
        let found = try readTag(codingPath)
        guard found == tag else {
            throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected \(tag), found \(found)"))
        }
    }

    func rawString(_ codingPath: [any CodingKey]) throws -> String {
        let count = Int(try raw(UInt32.self, codingPath))
        try need(count, codingPath)
        defer { position += count }
        return String(decoding: bytes[position..<position + count], as: UTF8.self)
    }

    /// Moves past one value of any kind.
    func skipValue(_ codingPath: [any CodingKey]) throws {
        switch try readTag(codingPath) {
        case .null, .false, .true: break
        case .int, .uint, .double: try need(8, codingPath); position += 8
        case .float: try need(4, codingPath); position += 4
        case .string, .bytes:
            let count = Int(try raw(UInt32.self, codingPath))
            try need(count, codingPath)
            position += count
        case .unkeyed:
            let count = Int(try raw(UInt32.self, codingPath))
            for _ in 0..<count { try skipValue(codingPath) }
        case .keyed:
            let count = Int(try raw(UInt32.self, codingPath))
            for _ in 0..<count {
                let keyLength = Int(try raw(UInt32.self, codingPath))
                try need(keyLength, codingPath)
                position += keyLength
                try skipValue(codingPath)
            }
        }
    }

    func signed(_ type: Any.Type, _ codingPath: [any CodingKey]) throws -> Int64 {
        switch try readTag(codingPath) {
        case .int: return try raw(Int64.self, codingPath)
        case .uint:
            let value = try raw(UInt64.self, codingPath)
            guard let exact = Int64(exactly: value) else { throw corrupt("\(value) does not fit \(type)", codingPath) }
            return exact
        default: throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected an integer"))
        }
    }

    func unsigned(_ type: Any.Type, _ codingPath: [any CodingKey]) throws -> UInt64 {
        switch try readTag(codingPath) {
        case .uint: return try raw(UInt64.self, codingPath)
        case .int:
            let value = try raw(Int64.self, codingPath)
            guard let exact = UInt64(exactly: value) else { throw corrupt("\(value) does not fit \(type)", codingPath) }
            return exact
        default: throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected an integer"))
        }
    }

    func exact<T: FixedWidthInteger>(_ type: T.Type, _ codingPath: [any CodingKey]) throws -> T {
        let value: T? = T.isSigned ? T(exactly: try signed(type, codingPath)) : T(exactly: try unsigned(type, codingPath))
        guard let value else { throw corrupt("value does not fit \(type)", codingPath) }
        return value
    }

    func decodeValue<T: Decodable>(_ type: T.Type, codingPath: [any CodingKey]) throws -> T {
        if T.self == Int.self { return unsafeBitCast(try exact(Int.self, codingPath), to: T.self) }
        if T.self == String.self { try expect(.string, for: type, codingPath); return try rawString(codingPath) as! T }
        if T.self == Double.self {
            try expect(.double, for: type, codingPath)
            return Double(bitPattern: try raw(UInt64.self, codingPath)) as! T
        }
        if T.self == Bool.self {
            switch try readTag(codingPath) {
            case .true: return true as! T
            case .false: return false as! T
            default: throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected a Bool"))
            }
        }
        if T.self == Float.self {
            try expect(.float, for: type, codingPath)
            return Float(bitPattern: try raw(UInt32.self, codingPath)) as! T
        }
        if T.self == [UInt8].self {
            try expect(.bytes, for: type, codingPath)
            let count = Int(try raw(UInt32.self, codingPath))
            try need(count, codingPath)
            defer { position += count }
            return Array(bytes[position..<position + count]) as! T
        }
        switch type {
        case is Int64.Type: return try exact(Int64.self, codingPath) as! T
        case is Int32.Type: return try exact(Int32.self, codingPath) as! T
        case is Int16.Type: return try exact(Int16.self, codingPath) as! T
        case is Int8.Type: return try exact(Int8.self, codingPath) as! T
        case is UInt.Type: return try exact(UInt.self, codingPath) as! T
        case is UInt64.Type: return try exact(UInt64.self, codingPath) as! T
        case is UInt32.Type: return try exact(UInt32.self, codingPath) as! T
        case is UInt16.Type: return try exact(UInt16.self, codingPath) as! T
        case is UInt8.Type: return try exact(UInt8.self, codingPath) as! T
        default: return try T(from: BinaryDecoder(core: self, codingPath: codingPath))
        }
    }
}

struct BinaryDecoder: Decoder {
    let core: BinaryDecoderCore
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(try BinaryKeyedDecoding<Key>(core: core, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try BinaryUnkeyedDecoding(core: core, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        BinarySingleValueDecoding(core: core, codingPath: codingPath)
    }
}

struct BinarySingleValueDecoding: SingleValueDecodingContainer {
    let core: BinaryDecoderCore
    var codingPath: [any CodingKey]

    func decodeNil() -> Bool {
        guard core.peekTag() == .null else { return false }
        core.position += 1
        return true
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try core.decodeValue(type, codingPath: codingPath)
    }
}

/// Reads a container's elements in order; on creation it moves the shared position past the
/// whole container, so whatever follows it decodes from the right place.
struct BinaryUnkeyedDecoding: UnkeyedDecodingContainer {
    let core: BinaryDecoderCore
    var codingPath: [any CodingKey]
    let count: Int?
    private(set) var currentIndex = 0
    private var cursor: Int
    private let end: Int

    init(core: BinaryDecoderCore, codingPath: [any CodingKey]) throws {
        self.core = core
        self.codingPath = codingPath
        try core.expect(.unkeyed, for: [Any].self, codingPath)
        let count = Int(try core.raw(UInt32.self, codingPath))
        self.count = count
        cursor = core.position
        for _ in 0..<count { try core.skipValue(codingPath) }
        end = core.position
    }

    var isAtEnd: Bool { currentIndex >= (count ?? 0) }

    private mutating func next<T>(_ body: () throws -> T) throws -> T {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "no more elements"))
        }
        core.position = cursor
        defer {
            cursor = core.position
            core.position = end
        }
        let value = try body()
        currentIndex += 1
        return value
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, core.bytes[cursor] == BinaryTag.null.rawValue else { return false }
        cursor += 1
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let core = core, codingPath = codingPath
        return try next { try core.decodeValue(type, codingPath: codingPath) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let core = core, codingPath = codingPath
        return try next { KeyedDecodingContainer(try BinaryKeyedDecoding<NestedKey>(core: core, codingPath: codingPath)) }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let core = core, codingPath = codingPath
        return try next { try BinaryUnkeyedDecoding(core: core, codingPath: codingPath) }
    }

    mutating func superDecoder() throws -> any Decoder {
        // The super decoder reads the next element where it stands.
        let core = core, codingPath = codingPath
        let start = cursor
        try next { try core.skipValue(codingPath) }
        let sub = BinaryDecoderCore(bytes: core.bytes[start..<cursor])
        return BinaryDecoder(core: sub, codingPath: codingPath)
    }
}

/// Indexes a keyed container's entries by key on creation, then decodes any of them on demand.
struct BinaryKeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let core: BinaryDecoderCore
    var codingPath: [any CodingKey]
    private var offsets: [String: Int] = [:]
    private var orderedKeys: [String] = []
    private let end: Int

    init(core: BinaryDecoderCore, codingPath: [any CodingKey]) throws {
        self.core = core
        self.codingPath = codingPath
        try core.expect(.keyed, for: [String: Any].self, codingPath)
        let count = Int(try core.raw(UInt32.self, codingPath))
        for _ in 0..<count {
            let key = try core.rawString(codingPath)
            offsets[key] = core.position
            orderedKeys.append(key)
            try core.skipValue(codingPath)
        }
        end = core.position
    }

    var allKeys: [Key] { orderedKeys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { offsets[key.stringValue] != nil }

    private func at<T>(_ key: Key, _ body: () throws -> T) throws -> T {
        guard let offset = offsets[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for \"\(key.stringValue)\""))
        }
        core.position = offset
        defer { core.position = end }
        return try body()
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        try at(key) { core.peekTag() == .null }
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try at(key) { try core.decodeValue(type, codingPath: codingPath + [key]) }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try at(key) { KeyedDecodingContainer(try BinaryKeyedDecoding<NestedKey>(core: core, codingPath: codingPath + [key])) }
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try at(key) { try BinaryUnkeyedDecoding(core: core, codingPath: codingPath + [key]) }
    }

    func superDecoder() throws -> any Decoder {
        try superDecoder(forKey: Key(stringValue: "super")!)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        try at(key) {
            let start = core.position
            try core.skipValue(codingPath)
            return BinaryDecoder(core: BinaryDecoderCore(bytes: core.bytes[start..<core.position]), codingPath: codingPath + [key])
        }
    }
}
