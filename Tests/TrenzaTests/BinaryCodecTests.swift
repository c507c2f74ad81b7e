import Foundation
import Testing
@testable import Trenza

@Suite("Binary wire codec")
struct BinaryCodecTests {
    struct Photo: Codable, Equatable {
        var name: String
        var width: Int
        var height: Int32
        var scale: Double
        var tags: [String]
        var caption: String?
        var thumbnail: [UInt8]?
        var flags: [Bool]
    }

    /// Decodes its fields in a different order than it encodes them.
    struct Reordered: Codable, Equatable {
        var first: Int
        var second: String
        enum CodingKeys: String, CodingKey { case first, second }
        init(first: Int, second: String) { self.first = first; self.second = second }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            second = try container.decode(String.self, forKey: .second)
            first = try container.decode(Int.self, forKey: .first)
        }
    }

    private func roundTrip<T: Codable & Equatable>(_ value: T) throws -> T {
        try BinaryCodec.decode(T.self, from: try BinaryCodec.encode(value)[...])
    }

    struct Empty: Codable, Equatable {}

    @Test("a type without properties round-trips, alone and as one entry of a frame")
    func emptyStruct() throws {
        let bytes = try BinaryCodec.encode(Empty())
        #expect(try BinaryCodec.decode(Empty.self, from: bytes[...]) == Empty())
        let frame = [1, 2] + bytes + [3]
        let core = BinaryDecoderCore(bytes: frame[...])
        #expect(try core.decodeEntry(Empty.self, in: 2..<(2 + bytes.count)) == Empty())
        // Anything else left over is still an error.
        #expect(throws: DecodingError.self) { try BinaryCodec.decode(Int.self, from: (try BinaryCodec.encode(7) + [0])[...]) }
    }

    @Test("scalars keep their exact values")
    func scalars() throws {
        #expect(try roundTrip(0) == 0)
        #expect(try roundTrip(Int.min) == Int.min)
        #expect(try roundTrip(Int.max) == Int.max)
        #expect(try roundTrip(UInt64.max) == UInt64.max)
        #expect(try roundTrip(Int8(-128)) == -128)
        #expect(try roundTrip(0.1 + 0.2) == 0.1 + 0.2)
        #expect(try roundTrip(-Double.infinity) == -Double.infinity)
        #expect(try roundTrip(Double.nan).isNaN)
        #expect(try roundTrip(Float(1.5)) == 1.5)
        #expect(try roundTrip(true) == true)
        #expect(try roundTrip("") == "")
        #expect(try roundTrip("Ñandú 🧶 trenza") == "Ñandú 🧶 trenza")
    }

    @Test("structs, optionals, arrays and dictionaries round-trip")
    func composites() throws {
        let photos = [
            Photo(name: "a.jpg", width: 1920, height: 1080, scale: 0.5, tags: ["x", "y"], caption: nil, thumbnail: [1, 2, 255], flags: [true, false]),
            Photo(name: "b.png", width: 1, height: -1, scale: 2, tags: [], caption: "hola", thumbnail: nil, flags: []),
        ]
        #expect(try roundTrip(photos) == photos)
        #expect(try roundTrip(["a": 1, "b": 2]) == ["a": 1, "b": 2])
        #expect(try roundTrip([3: "three", -1: "minus one"]) == [3: "three", -1: "minus one"])
        #expect(try roundTrip([1, nil, 3] as [Int?]) == [1, nil, 3])
        #expect(try roundTrip([[1, 2], [], [3]]) == [[1, 2], [], [3]])
        #expect(try roundTrip(Set(["p", "q"])) == Set(["p", "q"]))
        #expect(try roundTrip(Optional<Int>.none) == nil)
        #expect(try roundTrip(Optional(Optional(5))) == 5)
        #expect(try roundTrip(Reordered(first: 7, second: "seven")) == Reordered(first: 7, second: "seven"))
        let date = Date(timeIntervalSince1970: 1_700_000_000.25)
        #expect(try roundTrip(date) == date)
        let data = Data([0, 1, 2, 254])
        #expect(try roundTrip(data) == data)
        let url = URL(string: "https://example.org/a?b=c")!
        #expect(try roundTrip(url) == url)
    }

    @Test("enums with associated values round-trip", arguments: [
        ProbeJob.Action.echo(-3), .sleep(milliseconds: 5, value: 9), .fail(message: "¡no!"), .abort, .exit(code: 3), .garbage, .hang,
    ])
    func enums(action: ProbeJob.Action) throws {
        #expect(try roundTrip(action) == action)
    }

    @Test("wrong, short or surplus bytes are errors, never crashes")
    func corruptInput() throws {
        let encoded = try BinaryCodec.encode(Photo(name: "n", width: 1, height: 2, scale: 3, tags: ["t"], caption: "c", thumbnail: [9], flags: [true]))
        for length in 0..<encoded.count {
            #expect(throws: (any Error).self) { _ = try BinaryCodec.decode(Photo.self, from: encoded[..<length]) }
        }
        #expect(throws: (any Error).self) { _ = try BinaryCodec.decode(Photo.self, from: (encoded + [0])[...]) }
        #expect(throws: DecodingError.self) { _ = try BinaryCodec.decode(String.self, from: try BinaryCodec.encode(42)[...]) }
        #expect(throws: DecodingError.self) { _ = try BinaryCodec.decode(UInt8.self, from: try BinaryCodec.encode(300)[...]) }
        #expect(throws: DecodingError.self) { _ = try BinaryCodec.decode(Int.self, from: [99, 0, 0][...]) }
    }

    @Test("a tiny integer costs nine bytes")
    func compact() throws {
        #expect(try BinaryCodec.encode(12345).count == 9)
    }

    /// The bytes a scalar's compiled path writes, and what it reads back.
    private func body<S: WireScalar>(_ value: S) -> [UInt8] {
        let core = BinaryEncoderCore()
        S.encodeBody(value, into: core)
        return core.bytes
    }

    private func decoded<S: WireScalar>(_ type: S.Type, _ bytes: [UInt8]) -> S? {
        bytes.withUnsafeBytes { S.decodeBody($0) }
    }

    @Test("the compiled scalar paths write exactly what Codable writes and read it back")
    func scalarPathsMatchCodable() throws {
        for value in [0, 1, -1, Int.min, Int.max, 1 << 40] {
            #expect(body(value) == (try BinaryCodec.encode(value)))
            #expect(decoded(Int.self, try BinaryCodec.encode(value)) == value)
        }
        for value in [0.0, -0.0, 0.1 + 0.2, .infinity, -.infinity, .leastNonzeroMagnitude] {
            #expect(body(value) == (try BinaryCodec.encode(value)))
            #expect(decoded(Double.self, try BinaryCodec.encode(value))?.bitPattern == value.bitPattern)
        }
        #expect(decoded(Double.self, body(Double.nan))?.isNaN == true)
        for value in [true, false] {
            #expect(body(value) == (try BinaryCodec.encode(value)))
            #expect(decoded(Bool.self, try BinaryCodec.encode(value)) == value)
        }
        for value in ["", "a", "ñandú 🦤", String(repeating: "x", count: 70_000)] {
            #expect(body(value) == (try BinaryCodec.encode(value)))
            #expect(decoded(String.self, try BinaryCodec.encode(value)) == value)
        }
    }

    @Test("a scalar path declines bytes that are not its type's plain encoding, so Codable can decide")
    func scalarPathsDecline() throws {
        #expect(decoded(Int.self, try BinaryCodec.encode(UInt64(5))) == nil, "an unsigned encoding is for the generic decoder")
        #expect(decoded(Int.self, try BinaryCodec.encode("5")) == nil)
        #expect(decoded(Int.self, Array(try BinaryCodec.encode(5).dropLast())) == nil)
        #expect(decoded(Double.self, try BinaryCodec.encode(5)) == nil)
        #expect(decoded(Bool.self, try BinaryCodec.encode(1)) == nil)
        #expect(decoded(String.self, try BinaryCodec.encode("abc") + [0]) == nil)
        #expect(decoded(String.self, Array(try BinaryCodec.encode("abc").dropLast())) == nil)
        #expect(decoded(String.self, []) == nil)
    }
}
