import Foundation
import TrenzaTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("trenza serve, end to end", .serialized)
struct ServeCommandTests {
    @Test("A signal while a slow request is in flight: no new connections, the request still gets its 200, exit 0",
          arguments: [SIGTERM, SIGINT])
    func gracefulShutdown(signal: Int32) async throws {
        // Seed 7 makes the first /lento wait 2.7796... s (computed with Python): time enough to
        // check the listener while it is in flight, even on a busy machine.
        let server = try TrenzaProcess(["serve", "--port", "0", "--seed", "7", "--log-level", "warning"])
        let port = try #require(await server.listeningPort(), "no URL printed; stderr: \(server.standardError)")

        let slowSent = Flag(), slowDone = Flag()
        async let slow = onOwnThread {
            defer { slowDone.raise() }
            return try RawHTTP.get(port: port, path: "/lento", sent: slowSent)
        }
        #expect(await eventually(within: 30) { slowSent.isRaised })
        // A request made after the slow one and answered shows the server is taking requests;
        // the pause gives the slow one, sent first, time to be read by the server.
        let health = try await onOwnThread { try RawHTTP.get(port: port, path: "/health") }
        #expect(health.status == 200)
        try await Task.sleep(for: .milliseconds(300))

        server.signal(signal)
        let refused = await eventually(within: 5) {
            switch RawHTTP.connect(port: port) {
            case .success(let socket):
                close(socket)
                return false
            case .failure(let error):
                if case .system("connect", ECONNREFUSED) = error { return true }
                return false
            }
        }
        #expect(refused, "still accepting connections after the signal")
        #expect(!slowDone.isRaised, "the slow request ended before the test could check the listener")

        let response = try await slow
        #expect(response.status == 200)
        #expect(response.body == #"{"operacion": "lenta", "tiempo": 2.7796594967825428}"#)
        #expect(response.headers["x-tiempo-respuesta"].flatMap(Double.init).map { $0 >= 2.7796 } == true)

        #expect(try await server.exitStatus() == 0, "stderr: \(server.standardError)")
        #expect(server.standardOutput.hasSuffix("Stopped.\n"))
    }

    @Test("Each request is a log line on stderr, in swift-log's stream format, and the last ones are written before exit")
    func requestLog() async throws {
        let server = try TrenzaProcess(["serve", "--port", "0"])
        let port = try #require(await server.listeningPort(), "no URL printed; stderr: \(server.standardError)")
        for path in ["/health", "/no-such-route", "/status/418"] {
            _ = try await onOwnThread { try RawHTTP.get(port: port, path: path) }
        }
        server.signal(SIGTERM)
        #expect(try await server.exitStatus() == 0, "stderr: \(server.standardError)")
        let lines = server.standardError.split(separator: "\n").map(String.init)
        for (path, status) in [("/health", 200), ("/no-such-route", 404), ("/status/418", 418)] {
            let line = lines.first { $0.hasSuffix("] GET \(path) \(status) " + ($0.split(separator: " ").dropLast().last ?? "") + " s") }
            let logged = try #require(line, "no line for \(path) in:\n\(server.standardError)")
            #expect(logged.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} info trenza\.server: .*http\.status=\d+ \[TrenzaServer\] GET \S+ \d+ \d+\.\d{4} s/) != nil, "\(logged)")
            #expect(logged.contains("http.method=GET") && logged.contains("http.path=\(path)") && logged.contains("http.status=\(status)"))
        }
    }

    @Test("--shutdown-timeout bounds the wait: a request longer than it is cut off and trenza still exits 0")
    func shutdownTimeout() async throws {
        // Seed 7 at time scale 1: the first /lento waits 2.78 s, far beyond the 0.2 s allowed.
        let server = try TrenzaProcess(["serve", "--port", "0", "--seed", "7", "--shutdown-timeout", "0.2", "--log-level", "critical"])
        let port = try #require(await server.listeningPort(), "no URL printed; stderr: \(server.standardError)")
        let slowSent = Flag()
        async let slow = onOwnThread { try? RawHTTP.get(port: port, path: "/lento", sent: slowSent) }
        #expect(await eventually(within: 30) { slowSent.isRaised })
        _ = try await onOwnThread { try RawHTTP.get(port: port, path: "/health") }
        try await Task.sleep(for: .milliseconds(300))

        let signalled = ContinuousClock.now
        server.signal(SIGTERM)
        let status = try await server.exitStatus()
        let waited = ContinuousClock.now - signalled
        #expect(status == 0, "stderr: \(server.standardError)")
        #expect(waited < .seconds(2), "took \(waited) to stop with 2.4 s of the request left and 0.2 s allowed")
        let cutOff = try await slow
        #expect(cutOff?.status != 200, "the cut-off request was answered as if complete")
    }

    @Test("A port already in use: a message naming it, exit 1")
    func portInUse() async throws {
        let first = try TrenzaProcess(["serve", "--port", "0", "--log-level", "critical"])
        let port = try #require(await first.listeningPort())
        let second = try await runTrenza(["serve", "--port", String(port), "--log-level", "critical"])
        #expect(second.status == 1)
        #expect(second.error.contains("cannot listen on 127.0.0.1:\(port)"), "stderr: \(second.error)")
        first.signal(SIGTERM)
        #expect(try await first.exitStatus() == 0)
    }

    @Test("Bad flags are a usage error: exit 2 before anything starts", arguments: [
        ["--port", "65536"], ["--port", "-1"], ["--port", "http"], ["--time-scale", "0"],
        ["--log-level", "loud"], ["--shutdown-timeout", "-1"], ["--seed", "-5"], ["--host", ""], ["--verbose"],
        ["--latency", "-1"], ["--latency", "61"], ["--files", "/no/such/folder"],
    ])
    func badFlags(arguments: [String]) async throws {
        let result = try await runTrenza(["serve"] + arguments)
        #expect(result.status == 2, "stderr: \(result.error)")
        #expect(result.error.contains("Usage: trenza serve"), "stderr: \(result.error)")
    }
}
