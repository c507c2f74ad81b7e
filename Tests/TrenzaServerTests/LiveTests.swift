import Foundation
import TrenzaTestSupport
import Synchronization
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TrenzaServer

@Suite("The server over real sockets")
struct LiveTests {
    @Test("On the wire: JSON bodies with their length, timing headers, and a JSON 404")
    func onTheWire() async throws {
        try await makeApp().test(.live) { client in
            try await client.execute(uri: "/mixto", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(response.headers[.contentLength] == String(response.body.readableBytes))
                #expect(response.headers[.xTiempoRespuesta] != nil && response.headers[.serverTiming] != nil)
                let notes = try response.object()["notas"] as? String
                #expect(notes == "Las operaciones se ejecutaron concurrentemente")
            }
            try await client.execute(uri: "/no-such-route", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.text == #"{"error": "Not Found"}"#)
            }
        }
    }

    @Test("Slow requests on separate connections are served at once, not one after another")
    func concurrentConnections() async throws {
        try await makeApp(timeScale: 0.1).test(.live) { client in
            let port = try #require(client.port)
            let start = ContinuousClock.now
            let responses = try await withThrowingTaskGroup(of: RawResponse.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await onOwnThread { try RawHTTP.get(port: port, path: "/lento") } }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let elapsed = ContinuousClock.now - start
            #expect(responses.allSatisfy { $0.status == 200 })
            let waits = try responses.map { try Reported(JSONSerialization.jsonObject(with: Data($0.body.utf8))).tiempo }
            // Six waits of 0.2-0.4 s add up to at least 1.2 s; served together they take about the longest.
            let sum = waits.reduce(0, +)
            #expect(elapsed < .seconds(sum), "6 requests took \(elapsed), as long as their waits one after another (\(sum) s)")
            #expect(elapsed >= .seconds(waits.max()!))
        }
    }

    @Test("withRunning serves while its body runs, returns the body's value, and has stopped listening by then")
    func withRunning() async throws {
        let configuration = DemoServer.Configuration(port: 0, logLevel: .critical)
        let (port, response) = try await DemoServer.withRunning(configuration, logger: quietLogger()) { address in
            (address.port, try await onOwnThread { try RawHTTP.get(port: address.port, path: "/health") })
        }
        #expect(port > 0)
        #expect(response.status == 200)
        #expect(response.body.contains("ok"))
        if case .success(let socket) = RawHTTP.connect(port: port) {
            close(socket)
            Issue.record("port \(port) still accepts connections after withRunning returned")
        }
    }

    @Test("withRunning stops the server when its body throws, and rethrows")
    func withRunningThrows() async throws {
        struct Boom: Error {}
        let ports = PortBox()
        await #expect(throws: Boom.self) {
            try await DemoServer.withRunning(DemoServer.Configuration(port: 0, logLevel: .critical), logger: quietLogger()) { address in
                ports.port.withLock { $0 = address.port }
                throw Boom()
            }
        }
        let port = try #require(ports.port.withLock { $0 })
        if case .success(let socket) = RawHTTP.connect(port: port) {
            close(socket)
            Issue.record("port \(port) still accepts connections after withRunning threw")
        }
    }
}

/// The port a server got, carried out of a closure that throws.
private final class PortBox: Sendable {
    let port = Mutex<Int?>(nil)
}
