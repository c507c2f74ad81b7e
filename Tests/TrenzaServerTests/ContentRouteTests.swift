import Foundation
import TrenzaTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TrenzaImaging
@testable import TrenzaServer

extension TestResponse {
    var bytes: [UInt8] { Array(buffer: body) }
}

@Suite("Sample bytes")
struct SampleBytesTests {
    @Test("Any slice equals the same bytes cut from the whole stream, whatever its alignment")
    func slicesAgree() {
        let whole = SampleBytes.generate(count: 1000, seed: 7)
        for (offset, count) in [(0, 1), (1, 7), (3, 8), (8, 8), (13, 500), (999, 1), (0, 1000)] {
            #expect(SampleBytes.generate(count: count, seed: 7, offset: offset) == Array(whole[offset..<(offset + count)]))
        }
        #expect(SampleBytes.generate(count: 1000, seed: 8) != whole)
    }

    @Test("The stream is SplitMix64's output, little-endian, so any language can recompute it")
    func isSplitMix() {
        var generator = SplitMixReference(seed: 5)
        let expected = (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next().littleEndian, Array.init) }
        #expect(SampleBytes.generate(count: 32, seed: 5) == expected)
    }
}

/// SplitMix64 written out here so the test does not trust the code under test.
private struct SplitMixReference {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Range headers")
struct ByteRangeTests {
    @Test("Well-formed single ranges and what they select of 100 bytes", arguments: [
        ("bytes=0-9", 0..<10), ("bytes=90-", 90..<100), ("bytes=-5", 95..<100), ("bytes=95-200", 95..<100),
        ("bytes=-500", 0..<100), ("bytes=99-99", 99..<100), ("BYTES=5-6", 5..<7),
    ] as [(String, Range<Int>)])
    func satisfiable(header: String, expected: Range<Int>) throws {
        let request = try #require(ByteRangeRequest(header: header))
        #expect(request.resolve(length: 100) == expected)
    }

    @Test("Ranges that select nothing are answered 416", arguments: ["bytes=100-", "bytes=150-160", "bytes=-0"])
    func unsatisfiable(header: String) throws {
        let request = try #require(ByteRangeRequest(header: header))
        #expect(request.resolve(length: 100) == nil)
    }

    @Test("Malformed or multiple ranges are ignored (the whole body is sent)", arguments: [
        "bytes=5-1", "bytes=a-b", "bytes=0-1,5-6", "items=0-1", "bytes=", "bytes=-", "bytes=1", "bytes=+1-2", "bytes=٣-٤", "bytes = 5-6",
    ])
    func ignored(header: String) {
        #expect(ByteRangeRequest(header: header) == nil)
    }

    @Test("HTTP dates round-trip in IMF-fixdate")
    func httpDates() throws {
        let date = Date(timeIntervalSince1970: 784_111_777)
        #expect(HTTPDate.format(date) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == date)
    }
}

@Suite("Sample photos and bytes over HTTP")
struct ContentRouteTests {
    @Test("/id/{id}/{w}/{h}: a JPEG of that size, the same bytes every time, another for another id")
    func samplePhotos() async throws {
        try await makeApp().test(.router) { client in
            let first = try await client.execute(uri: "/id/3/320/200", method: .get)
            #expect(first.status == .ok)
            #expect(first.headers[.contentType] == "image/jpeg")
            #expect(first.headers[.contentLength] == String(first.bytes.count))
            let image = try ImageCodec.decode(first.bytes).image
            #expect(image.width == 320 && image.height == 200)
            let again = try await client.execute(uri: "/id/3/320/200", method: .get)
            #expect(again.bytes == first.bytes && again.headers[.eTag] == first.headers[.eTag])
            let other = try await client.execute(uri: "/id/4/320/200", method: .get)
            #expect(other.bytes != first.bytes && other.headers[.eTag] != first.headers[.eTag])
        }
    }

    @Test("Sizes beyond 4096 or below 1, and non-numbers, are a JSON 400", arguments: [
        "/id/1/4097/10", "/id/1/10/5000", "/id/1/0/10", "/id/1/-3/10", "/id/x/10/10",
    ])
    func sampleSizeLimits(path: String) async throws {
        try await makeApp().test(.router) { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .badRequest)
            #expect(try response.object()["error"] is String)
        }
    }

    @Test("Ranges of a photo: 206 with Content-Range and the very bytes; 416 past the end; If-Range with an old ETag gets everything")
    func photoRanges() async throws {
        try await makeApp().test(.router) { client in
            let whole = try await client.execute(uri: "/id/9/64/64", method: .get)
            let etag = try #require(whole.headers[.eTag])
            let part = try await client.execute(uri: "/id/9/64/64", method: .get, headers: [.range: "bytes=100-199"])
            #expect(part.status == .partialContent)
            #expect(part.headers[.contentRange] == "bytes 100-199/\(whole.bytes.count)")
            #expect(part.bytes == Array(whole.bytes[100..<200]))
            let tail = try await client.execute(uri: "/id/9/64/64", method: .get, headers: [.range: "bytes=100-", .ifRange: etag])
            #expect(tail.status == .partialContent && tail.bytes == Array(whole.bytes[100...]))
            let stale = try await client.execute(uri: "/id/9/64/64", method: .get, headers: [.range: "bytes=100-", .ifRange: "\"old\""])
            #expect(stale.status == .ok && stale.bytes == whole.bytes)
            let beyond = try await client.execute(uri: "/id/9/64/64", method: .get, headers: [.range: "bytes=\(whole.bytes.count)-"])
            #expect(beyond.status == .rangeNotSatisfiable)
            #expect(beyond.headers[.contentRange] == "bytes */\(whole.bytes.count)")
            let cached = try await client.execute(uri: "/id/9/64/64", method: .get, headers: [.ifNoneMatch: etag])
            #expect(cached.status == .notModified && cached.bytes.isEmpty)
        }
    }

    @Test("/bytes/{n}: the sample stream for the seed, whole, in ranges and under HEAD")
    func sampleBytes() async throws {
        try await makeApp().test(.router) { client in
            let whole = try await client.execute(uri: "/bytes/300000?seed=11", method: .get)
            #expect(whole.status == .ok && whole.headers[.acceptRanges] == "bytes")
            #expect(whole.bytes == SampleBytes.generate(count: 300_000, seed: 11))
            let suffix = try await client.execute(uri: "/bytes/300000?seed=11", method: .get, headers: [.range: "bytes=-1000"])
            #expect(suffix.status == .partialContent && suffix.bytes == SampleBytes.generate(count: 1000, seed: 11, offset: 299_000))
            let several = try await client.execute(uri: "/bytes/300000?seed=11", method: .get, headers: [.range: "bytes=0-1,5-6"])
            #expect(several.status == .ok && several.bytes.count == 300_000)
            let head = try await client.execute(uri: "/bytes/300000?seed=11", method: .head)
            #expect(head.status == .ok && head.headers[.contentLength] == "300000" && head.bytes.isEmpty)
            let empty = try await client.execute(uri: "/bytes/0", method: .get)
            #expect(empty.status == .ok && empty.bytes.isEmpty)
            let badSeed = try await client.execute(uri: "/bytes/10?seed=abc", method: .get)
            let badSeedError = try badSeed.object()["error"] as? String
            #expect(badSeed.status == .badRequest && badSeedError?.contains("seed") == true)
            let tooMany = try await client.execute(uri: "/bytes/99999999999999", method: .get)
            #expect(tooMany.status == .badRequest)
        }
    }

    @Test("/drip sends its bytes spread over the duration")
    func drip() async throws {
        try await makeApp().test(.live) { client in
            let start = ContinuousClock.now
            let response = try await client.execute(uri: "/drip?bytes=20&duration=0.3&seed=2", method: .get)
            #expect(ContinuousClock.now - start >= .milliseconds(300))
            #expect(response.bytes == SampleBytes.generate(count: 20, seed: 2))
        }
    }
}

@Suite("httpbin-style routes")
struct HTTPBinRouteTests {
    @Test("/status/{code} answers that code; codes outside 200-599 are a 400")
    func status() async throws {
        try await makeApp().test(.router) { client in
            for code in [200, 204, 404, 418, 500, 503] {
                do {
                    let response = try await client.execute(uri: "/status/\(code)", method: .get)
                    #expect(response.status.code == code)
                }
            }
            do {
                let response = try await client.execute(uri: "/status/503", method: .get)
                #expect(response.headers[.retryAfter] == "1")
            }
            do {
                let response = try await client.execute(uri: "/status/302", method: .get)
                #expect(response.headers[.location] == "/get")
            }
            do {
                let response = try await client.execute(uri: "/status/99", method: .get)
                #expect(response.status == .badRequest)
            }
            do {
                let response = try await client.execute(uri: "/status/600", method: .get)
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test("/delay/{s} waits that long (unscaled) and echoes the request; beyond 60 s is a 400")
    func delay() async throws {
        try await makeApp(timeScale: 0.01).test(.router) { client in
            let start = ContinuousClock.now
            let response = try await client.execute(uri: "/delay/0.2?x=1", method: .get)
            #expect(ContinuousClock.now - start >= .milliseconds(200))
            let echo = try response.object()
            #expect(echo["delay"] as? Double == 0.2)
            #expect((echo["args"] as? [String: String])?["x"] == "1")
            do {
                let response = try await client.execute(uri: "/delay/61", method: .get)
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test("/redirect/{n} is a chain of n hops ending at `to`; targets off this server are refused")
    func redirects() async throws {
        try await makeApp().test(.router) { client in
            let first = try await client.execute(uri: "/redirect/3?to=/bytes/5", method: .get)
            #expect(first.status == .found)
            let second = try #require(first.headers[.location])
            #expect(second.hasPrefix("/redirect/2?"))
            let secondResponse = try await client.execute(uri: second, method: .get)
            let third = try #require(secondResponse.headers[.location])
            let last = try await client.execute(uri: third, method: .get)
            #expect(last.status == .found && last.headers[.location] == "/bytes/5")
            do {
                let response = try await client.execute(uri: "/redirect/1", method: .get)
                #expect(response.headers[.location] == "/get")
            }
            for bad in ["/redirect/1?to=//evil.example/x", "/redirect/1?to=http://evil.example/", "/redirect/0", "/redirect/101"] {
                do {
                    let response = try await client.execute(uri: bad, method: .get)
                    #expect(response.status == .badRequest, "\(bad)")
                }
            }
        }
    }
}

@Suite("Fault routes")
struct FaultRouteTests {
    @Test("/fault/reset promises every byte, sends about half, then resets the connection")
    func reset() async throws {
        try await makeApp().test(.live) { client in
            let port = try #require(client.port)
            let exchange = try await onOwnThread { try RawHTTP.exchange(port: port, get: "/fault/reset/200000?seed=3") }
            #expect(exchange.status == 200)
            #expect(exchange.ending == .reset)
            #expect(exchange.body.count < 200_000)
            #expect(exchange.body == SampleBytes.generate(count: exchange.body.count, seed: 3))
        }
    }

    @Test("/fault/short promises every byte, sends half and closes cleanly")
    func short() async throws {
        try await makeApp().test(.live) { client in
            let port = try #require(client.port)
            let exchange = try await onOwnThread { try RawHTTP.exchange(port: port, get: "/fault/short/200000") }
            #expect(exchange.status == 200)
            #expect(exchange.ending == .closed)
            let text = String(decoding: exchange.bytes.prefix(400), as: UTF8.self)
            #expect(text.contains("Content-Length: 200000"))
            #expect(exchange.body == SampleBytes.generate(count: 100_000))
        }
    }

    @Test("times=K&key=X: the first K requests fail, then the bytes come whole, and a resumed range is right")
    func failFirst() async throws {
        try await makeApp().test(.live) { client in
            let port = try #require(client.port)
            for _ in 0..<2 {
                let failed = try await onOwnThread { try RawHTTP.exchange(port: port, get: "/fault/reset/100000?times=2&key=a&seed=4") }
                #expect(failed.ending == .reset)
            }
            let resumed = try await client.execute(uri: "/fault/reset/100000?times=2&key=a&seed=4", method: .get, headers: [.range: "bytes=60000-"])
            #expect(resumed.status == .partialContent)
            #expect(resumed.bytes == SampleBytes.generate(count: 40_000, seed: 4, offset: 60_000))
            // Another key has its own count.
            let other = try await onOwnThread { try RawHTTP.exchange(port: port, get: "/fault/reset/100000?times=2&key=b&seed=4") }
            #expect(other.ending == .reset)
        }
    }

    @Test("/fault/unavailable: 503 with Retry-After, JSON body; after times, the bytes")
    func unavailable() async throws {
        try await makeApp().test(.router) { client in
            let refused = try await client.execute(uri: "/fault/unavailable/50?retry-after=7&times=1&key=u", method: .get)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "7")
            #expect(try refused.object()["error"] as? String == "Service Unavailable")
            let served = try await client.execute(uri: "/fault/unavailable/50?retry-after=7&times=1&key=u", method: .get)
            #expect(served.status == .ok && served.bytes == SampleBytes.generate(count: 50))
            let always = try await client.execute(uri: "/fault/unavailable/50", method: .get)
            #expect(always.status == .serviceUnavailable)
        }
    }

    @Test("/fault/status/{code}: that error for the first K, then the bytes; codes below 400 refused")
    func statusFault() async throws {
        try await makeApp().test(.router) { client in
            let failing = try await client.execute(uri: "/fault/status/404/10?times=1&key=s", method: .get)
            let failingError = try failing.object()["error"] as? String
            #expect(failing.status == .notFound && failingError == "Not Found")
            do {
                let response = try await client.execute(uri: "/fault/status/404/10?times=1&key=s", method: .get)
                #expect(response.bytes == SampleBytes.generate(count: 10))
            }
            do {
                let response = try await client.execute(uri: "/fault/status/302/10", method: .get)
                #expect(response.status == .badRequest)
            }
        }
    }
}
