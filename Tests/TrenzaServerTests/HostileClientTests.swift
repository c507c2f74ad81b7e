import Foundation
import Testing
import TrenzaServer
import TrenzaTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Clients that try to hold the server's connections: slow heads, idle keep-alives, more
/// connections than the server takes. Each runs a server of its own with short timeouts on
/// an ephemeral port of 127.0.0.1; every client gives up after a bounded time.
@Suite("The server against slow and greedy clients", .serialized)
struct HostileClientTests {
    private func configuration(headerTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(30),
                               maximumConnections: Int? = nil) -> DemoServer.Configuration {
        DemoServer.Configuration(port: 0, logLevel: .critical, shutdownTimeout: .milliseconds(200),
                                 headerTimeout: headerTimeout, idleTimeout: idleTimeout, maximumConnections: maximumConnections)
    }

    @Test("Slow-header clients get a 408 and are cut after the header timeout, while /health keeps answering")
    func slowHeadersAreCut() async throws {
        let setup = configuration(headerTimeout: .milliseconds(600))
        let (held, answers, after) = try await DemoServer.withRunning(setup, logger: quietLogger()) { address in
            let port = address.port
            async let slow = withThrowingTaskGroup(of: HeldConnection.self) { group in
                for _ in 0..<12 {
                    group.addTask { try await onOwnThread { try SlowClient.trickleHead(port: port, interval: 0.1, limit: 8) } }
                }
                return try await group.reduce(into: [HeldConnection]()) { $0.append($1) }
            }
            async let health = onOwnThread { () -> [Int] in
                (0..<10).map { _ in
                    usleep(100_000)
                    return (try? RawHTTP.get(port: port, path: "/health", timeout: 5).status) ?? 0
                }
            }
            let (held, answers) = try await (slow, health)
            let after = try await onOwnThread { try RawHTTP.get(port: port, path: "/health", timeout: 5) }
            return (held, answers, after.status)
        }
        #expect(answers == Array(repeating: 200, count: 10), "/health during the attack: \(answers)")
        #expect(after == 200)
        for connection in held {
            #expect(connection.ending == .closedByServer, "a slow head was still open after \(connection.seconds) s")
            #expect(connection.status == 408, "got \(String(decoding: connection.received.prefix(80), as: UTF8.self))")
            #expect(connection.seconds >= 0.5, "cut after \(connection.seconds) s, before the 0.6 s header timeout")
        }
    }

    @Test("A client that connects and sends nothing is closed after the header timeout, without a response")
    func silentConnectionIsClosed() async throws {
        let setup = configuration(headerTimeout: .milliseconds(400))
        let held = try await DemoServer.withRunning(setup, logger: quietLogger()) { address in
            try await onOwnThread { try SlowClient.idle(port: address.port, limit: 6) }
        }
        #expect(held.ending == .closedByServer)
        #expect(held.received.isEmpty)
        #expect(held.seconds >= 0.3)
    }

    @Test("A kept-alive connection idle past the idle timeout is closed; a request answered for longer than both timeouts is not cut")
    func idleClosedBusyKept() async throws {
        let setup = configuration(headerTimeout: .milliseconds(300), idleTimeout: .milliseconds(700))
        let (idle, long) = try await DemoServer.withRunning(setup, logger: quietLogger()) { address in
            let port = address.port
            async let idle = onOwnThread {
                try SlowClient.idle(port: port, opening: "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", limit: 6)
            }
            async let long = onOwnThread { try RawHTTP.get(port: port, path: "/delay/1.5", timeout: 10) }
            return try await (idle, long)
        }
        #expect(idle.status == 200)
        #expect(idle.ending == .closedByServer)
        #expect(idle.seconds >= 0.6, "closed after \(idle.seconds) s, before the 0.7 s idle timeout")
        let text = String(decoding: idle.received, as: UTF8.self)
        #expect(text.components(separatedBy: "HTTP/1.1 ").count == 2, "one response, no 408 on an idle connection: \(text)")
        #expect(long.status == 200)
    }

    @Test("Past the connection cap, each newcomer closes an idle connection and is served")
    func capEvictsIdle() async throws {
        let setup = configuration(maximumConnections: 8)
        let (status, held) = try await DemoServer.withRunning(setup, logger: quietLogger()) { address in
            let port = address.port
            return try await onOwnThread { () -> (Int, [HeldConnection]) in
                var sockets: [Int32] = []
                defer { sockets.forEach { close($0) } }
                // Eight fill the server; two more each take the place of an older one.
                for _ in 0..<10 {
                    sockets.append(try SlowClient.open(port: port))
                    usleep(50_000)
                }
                usleep(200_000)
                let status = try RawHTTP.get(port: port, path: "/health", timeout: 5).status
                return (status, sockets.map { SlowClient.drain($0, within: 0.5) })
            }
        }
        #expect(status == 200)
        let evicted = held.indices.filter { held[$0].ending == .closedByServer }
        #expect(evicted.count == 3, "connections closed to make room for 3 newcomers: \(evicted)")
        #expect(evicted.allSatisfy { held[$0].received.isEmpty }, "an evicted idle connection is closed without a response")
    }

    @Test("With every connection busy, a newcomer gets a 503 with Retry-After; once they finish, the server serves again")
    func capRefusesThenRecovers() async throws {
        let setup = configuration(maximumConnections: 3)
        let (busy, refused, recovered) = try await DemoServer.withRunning(setup, logger: quietLogger()) { address in
            let port = address.port
            let sent = [Flag(), Flag(), Flag()]
            async let busy = withThrowingTaskGroup(of: Int.self) { group in
                for flag in sent {
                    group.addTask { try await onOwnThread { try RawHTTP.get(port: port, path: "/delay/1.5", timeout: 10, sent: flag).status } }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            _ = await eventually(within: 5) { sent.allSatisfy(\.isRaised) }
            try await Task.sleep(for: .milliseconds(300))
            let refused = try await onOwnThread { try RawHTTP.exchange(port: port, get: "/health") }
            let statuses = try await busy
            let recovered = try await onOwnThread { try RawHTTP.get(port: port, path: "/health", timeout: 5).status }
            return (statuses, refused, recovered)
        }
        #expect(busy == [200, 200, 200])
        #expect(refused.status == 503)
        #expect(String(decoding: refused.bytes, as: UTF8.self).lowercased().contains("retry-after: 1"))
        #expect(recovered == 200)
    }
}
