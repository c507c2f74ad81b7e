import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
import TrenzaTestSupport
@testable import TrenzaServer

@Suite("/ and /health answered on the event loop")
struct ConstantRouteTests {
    private func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ConstantRouteHandler(routes: ConstantRoutes(timeScale: 1), metrics: MetricHandles()))
        return channel
    }

    private func send(_ channel: EmbeddedChannel, _ uri: String, method: HTTPMethod = .GET,
                      version: HTTPVersion = .http1_1, headers: [(String, String)] = []) throws {
        try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(headers))))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
    }

    /// The response parts the handler wrote, in order.
    private func written(_ channel: EmbeddedChannel) throws -> [HTTPServerResponsePart] {
        var parts: [HTTPServerResponsePart] = []
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) { parts.append(part) }
        return parts
    }

    /// The request parts handed on to the router, as "METHOD uri" for heads.
    private func handedOn(_ channel: EmbeddedChannel) throws -> [String] {
        var parts: [String] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head(let head): parts.append("\(head.method.rawValue) \(head.uri)")
            case .body: parts.append("body")
            case .end: parts.append("end")
            }
        }
        return parts
    }

    @Test("GET / gets the information document, with the router's headers, and goes no further")
    func answersIndex() throws {
        let channel = try channel()
        try send(channel, "/")
        let parts = try written(channel)
        #expect(try handedOn(channel).isEmpty)
        guard parts.count == 3, case .head(let head) = parts[0], case .body(.byteBuffer(let body)) = parts[1], case .end(nil) = parts[2] else {
            Issue.record("expected head, body, end; got \(parts)")
            return
        }
        #expect(head.status == .ok)
        #expect(head.headers.map(\.name) == ["Content-Type", "Content-Length", "X-Tiempo-Respuesta", "Server-Timing", "Date"])
        #expect(head.headers["Content-Type"] == ["application/json; charset=utf-8"])
        let document = TutorialRoutes.index(timeScale: 1).bytes
        #expect(Array(body.readableBytesView) == document)
        #expect(head.headers["Content-Length"] == [String(document.count)])
        #expect(head.headers["Date"].first?.hasSuffix(" GMT") == true)
    }

    @Test("HEAD /health has the length and no body; a query does not change the answer")
    func headAndQuery() throws {
        let channel = try channel()
        try send(channel, "/health", method: .HEAD)
        let head = try written(channel)
        #expect(head.count == 2)
        if case .head(let response) = head.first { #expect(response.headers["Content-Length"] == ["16"]) }
        try send(channel, "/health?probe=1")
        let parts = try written(channel)
        guard parts.count == 3, case .body(.byteBuffer(let body)) = parts[1] else {
            Issue.record("expected head, body, end; got \(parts)")
            return
        }
        #expect(String(buffer: body) == #"{"status": "ok"}"#)
    }

    @Test("Everything else goes to the router untouched: other paths and methods, closing, HTTP/1.0, bodies, encoded paths")
    func handsOnTheRest() throws {
        let channel = try channel()
        try send(channel, "/rapido")
        try send(channel, "/", method: .POST)
        try send(channel, "/", headers: [("Connection", "close")])
        try send(channel, "/", version: .http1_0)
        try send(channel, "/health", headers: [("Content-Length", "3")])
        try send(channel, "/health", headers: [("Transfer-Encoding", "chunked")])
        try send(channel, "/%68ealth")
        #expect(try written(channel).isEmpty)
        #expect(try handedOn(channel) == [
            "GET /rapido", "end", "POST /", "end", "GET /", "end", "GET /", "end",
            "GET /health", "end", "GET /health", "end", "GET /%68ealth", "end",
        ])
    }

    @Test("A request pipelined behind one the router holds waits its turn there; once that is answered, the next is answered here")
    func keepsResponseOrder() throws {
        let channel = try channel()
        try send(channel, "/lento")
        try send(channel, "/health")
        #expect(try written(channel).isEmpty)
        #expect(try handedOn(channel) == ["GET /lento", "end", "GET /health", "end"])
        // The router answers both, in order.
        for _ in 0..<2 {
            try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
            try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        }
        #expect(try written(channel).count == 4)
        try send(channel, "/health")
        #expect(try written(channel).count == 3)
        #expect(try handedOn(channel).isEmpty)
    }

    @Test("Answered early only with the configuration's own router, no request logging and no latency")
    func whenAnsweredEarly() {
        let plain = DemoServer.Configuration(port: 0)
        #expect(DemoServer.earlyAnswers(plain, ownRouter: true, logLevel: .error) != nil)
        #expect(DemoServer.earlyAnswers(plain, ownRouter: true, logLevel: .warning) != nil)
        #expect(DemoServer.earlyAnswers(plain, ownRouter: true, logLevel: .info) == nil)
        #expect(DemoServer.earlyAnswers(plain, ownRouter: false, logLevel: .error) == nil)
        #expect(DemoServer.earlyAnswers(DemoServer.Configuration(port: 0, latency: .milliseconds(1)), ownRouter: true, logLevel: .error) == nil)
    }

    @Test("Over a real socket, one kept-alive connection: the same statuses and bytes, in order, as through the router")
    func sameAsRouter() async throws {
        let requests = [
            "GET / HTTP/1.1", "GET /rapido HTTP/1.1", "HEAD /health HTTP/1.1", "GET /health?probe=1 HTTP/1.1",
            "GET /nope HTTP/1.1", "POST /health HTTP/1.1", "GET / HTTP/1.1",
        ]
        let pipelined = requests.map { "\($0)\r\nHost: test\r\n\r\n" }.joined() + "GET /health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
        var quiet = quietLogger()
        quiet.logLevel = .error
        let configuration = DemoServer.Configuration(port: 0, timeScale: 0.01, seed: 3)
        let early = try DemoServer.makeApplication(configuration, logger: quiet)
        let routed = try DemoServer.makeApplication(configuration, router: DemoServer.makeRouter(configuration), logger: quiet)
        var answers: [[ParsedResponse]] = []
        for application in [early, routed] {
            let exchange = try await application.test(.live) { client in
                let port = try #require(client.port)
                return try await onOwnThread { try RawHTTP.exchange(port: port, request: Array(pipelined.utf8)) }
            }
            answers.append(try ParsedResponse.all(in: exchange.bytes, heads: requests.map { $0.hasPrefix("HEAD") } + [false]))
        }
        #expect(answers[0].map(\.status) == [200, 200, 200, 200, 404, 405, 200, 200])
        #expect(answers[0].count == answers[1].count)
        for (mine, theirs) in zip(answers[0], answers[1]) {
            #expect(mine.status == theirs.status)
            #expect(mine.headers["content-type"] == theirs.headers["content-type"])
            #expect(mine.headers["content-length"] == theirs.headers["content-length"])
            #expect(mine.headers["x-tiempo-respuesta"] != nil && mine.headers["server-timing"] != nil && mine.headers["date"] != nil)
            // /rapido draws a random wait; every other body is fixed.
            if !String(decoding: mine.body, as: UTF8.self).contains("operacion") { #expect(mine.body == theirs.body) }
        }
        #expect(answers[0][0].body == TutorialRoutes.index(timeScale: 0.01).bytes)
        #expect(answers[0][2].body.isEmpty && answers[0][2].headers["content-length"] == "16")
    }
}

/// Responses read back to back off one connection, each framed by its Content-Length.
private struct ParsedResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    /// `heads[i]` says whether the i-th request was a HEAD (its response has a length but no body).
    static func all(in bytes: [UInt8], heads: [Bool]) throws -> [ParsedResponse] {
        var responses: [ParsedResponse] = []
        var rest = bytes[...]
        let separator = Array("\r\n\r\n".utf8)
        for isHead in heads {
            guard let end = rest.indices.first(where: { rest[$0...].starts(with: separator) }) else {
                throw TestFailure("no response head after \(responses.count) responses")
            }
            let lines = String(decoding: rest[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            guard let status = lines.first.flatMap({ Int($0.dropFirst(9).prefix(3)) }) else { throw TestFailure("bad status line: \(lines)") }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = isHead ? 0 : Int(headers["content-length"] ?? "0") ?? 0
            let bodyStart = end + separator.count
            guard rest.endIndex - bodyStart >= length else { throw TestFailure("a body shorter than its Content-Length") }
            responses.append(ParsedResponse(status: status, headers: headers, body: Array(rest[bodyStart..<(bodyStart + length)])))
            rest = rest[(bodyStart + length)...]
        }
        return responses
    }
}
