import Foundation
import TrenzaTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import TrenzaServer

/// A folder with a file, a subfolder, a link inside and a link out, removed afterwards.
private struct ServedFolder: ~Copyable {
    let root: URL
    let outside: URL
    let content = SampleBytes.generate(count: 70_000, seed: 21)

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("trenza-files-\(UUID().uuidString)")
        root = base.appendingPathComponent("served")
        outside = base.appendingPathComponent("secret.txt")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub dir"), withIntermediateDirectories: true)
        try Data(content).write(to: root.appendingPathComponent("photo.jpg"))
        try Data("nested".utf8).write(to: root.appendingPathComponent("sub dir/note.txt"))
        try Data("secret".utf8).write(to: outside)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("inside-link.jpg").path, withDestinationPath: "photo.jpg")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("outside-link.txt").path, withDestinationPath: outside.path)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("up").path, withDestinationPath: "..")
    }

    deinit { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
}

@Suite("--files: a folder served read-only")
struct FileRouteTests {
    @Test("A file whole, by range, with ETag and Last-Modified; a range with If-Range of its date")
    func servesFiles() async throws {
        let folder = try ServedFolder()
        let content = folder.content
        try await makeApp(filesDirectory: folder.root.path).test(.router) { client in
            let whole = try await client.execute(uri: "/files/photo.jpg", method: .get)
            #expect(whole.status == .ok && whole.bytes == content)
            #expect(whole.headers[.contentType] == "image/jpeg")
            let etag = try #require(whole.headers[.eTag])
            let modified = try #require(whole.headers[.lastModified])
            let part = try await client.execute(uri: "/files/photo.jpg", method: .get, headers: [.range: "bytes=65536-", .ifRange: modified])
            #expect(part.status == .partialContent && part.bytes == Array(content[65536...]))
            do {
                let response = try await client.execute(uri: "/files/photo.jpg", method: .get, headers: [.ifNoneMatch: etag])
                #expect(response.status == .notModified)
            }
            let nested = try await client.execute(uri: "/files/sub%20dir/note.txt", method: .get)
            #expect(nested.status == .ok && nested.text == "nested")
            do {
                let response = try await client.execute(uri: "/files/inside-link.jpg", method: .get)
                #expect(response.bytes == content)
            }
        }
    }

    @Test("Escapes and non-files are a JSON 404", arguments: [
        "/files/outside-link.txt", "/files/up/secret.txt", "/files/..%2Fsecret.txt", "/files/%2e%2e/secret.txt",
        "/files/sub%20dir/..%2F..%2Fsecret.txt", "/files/sub%20dir", "/files/missing.jpg", "/files/", "/files/%00",
    ])
    func refusesEscapes(path: String) async throws {
        let folder = try ServedFolder()
        try await makeApp(filesDirectory: folder.root.path).test(.router) { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .notFound, "\(path) answered \(response.status)")
            #expect(!response.text.contains("secret") || response.text.contains("error"))
        }
    }

    @Test("A raw ../ on the wire does not leave the folder either")
    func rawTraversal() async throws {
        let folder = try ServedFolder()
        try await makeApp(filesDirectory: folder.root.path).test(.live) { client in
            let port = try #require(client.port)
            for path in ["/files/../secret.txt", "/files/sub%20dir/../../secret.txt", "/files//etc/passwd"] {
                let exchange = try await onOwnThread { try RawHTTP.exchange(port: port, get: path) }
                #expect(exchange.status == 404, "\(path)")
                #expect(!String(decoding: exchange.body, as: UTF8.self).contains("secret\n") && !String(decoding: exchange.body, as: UTF8.self).contains("root:"))
            }
        }
    }

    @Test("A folder that does not exist is refused when the router is made")
    func missingFolder() {
        #expect(throws: DemoServer.ConfigurationError.self) {
            _ = try DemoServer.makeRouter(.init(filesDirectory: "/no/such/folder"))
        }
    }
}

@Suite("Latency, metrics and malformed requests")
struct OperationTests {
    @Test("--latency holds every response back by that long")
    func latency() async throws {
        try await makeApp(latency: .milliseconds(250)).test(.router) { client in
            let start = ContinuousClock.now
            let response = try await client.execute(uri: "/bytes/10", method: .get)
            #expect(response.status == .ok)
            #expect(ContinuousClock.now - start >= .milliseconds(250))
        }
    }

    @Test("/metrics counts requests per route and status in Prometheus text")
    func metrics() async throws {
        try await makeApp().test(.router) { client in
            for _ in 0..<3 { _ = try await client.execute(uri: "/health", method: .get) }
            _ = try await client.execute(uri: "/status/418", method: .get)
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let lines = response.text.split(separator: "\n")
            let health = lines.first { $0.hasPrefix("http_server_requests{") && $0.contains("http_route=\"/health\"") && $0.contains("http_response_status_code=\"200\"") }
            let count = try #require(health.flatMap { Double($0.split(separator: " ").last ?? "") })
            #expect(count >= 3)
            #expect(lines.contains { $0.hasPrefix("http_server_requests{") && $0.contains("/status/{code}") && $0.contains("418") })
            #expect(lines.contains { $0.hasPrefix("http_server_request_duration_bucket{") && $0.contains("http_route=\"/health\"") })
        }
    }

    @Test("Malformed requests on a raw socket get a 400, not a dropped connection", arguments: [
        "GARBAGE\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "GET /\u{7f}\u{01} HTTP/1.1\r\nHost: x\r\n\r\n",
    ])
    func malformed(request: String) async throws {
        try await makeApp().test(.live) { client in
            let port = try #require(client.port)
            let exchange = try await onOwnThread { try RawHTTP.exchange(port: port, request: Array(request.utf8), timeout: 10) }
            let status = try #require(exchange.status, "no response to \(request.debugDescription): \(exchange.bytes.count) bytes, \(exchange.ending)")
            #expect((400...499).contains(status), "\(request.debugDescription) answered \(status)")
        }
    }
}
