import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How a connection the test held open ended, and what the server sent on it.
struct HeldConnection: Sendable {
    enum Ending: Sendable, Equatable {
        /// The server closed it (FIN) or reset it.
        case closedByServer
        /// Still open when the test gave up on it.
        case stillOpen
    }

    var received: [UInt8]
    var ending: Ending
    /// Seconds from connecting to the end (or to giving up).
    var seconds: Double

    var status: Int? {
        let text = String(decoding: received.prefix(64), as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }
}

/// Clients that hold a connection the way attackers and lazy browsers do, each on a blocking
/// socket of its own thread.
enum SlowClient {
    /// Sends a request head a line at a time, `interval` seconds apart, never finishing it (a
    /// slowloris), until the server ends the connection or `limit` seconds pass.
    static func trickleHead(port: Int, interval: Double, limit: Double) throws -> HeldConnection {
        try hold(port: port, opening: "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n", interval: interval, limit: limit) { line in
            "X-Slow-\(line): 1\r\n"
        }
    }

    /// Connects, sends `opening` (maybe nothing), then sends nothing more: an idle or
    /// half-opened connection, until the server ends it or `limit` seconds pass.
    static func idle(port: Int, opening: String = "", limit: Double) throws -> HeldConnection {
        try hold(port: port, opening: opening, interval: 0.05, limit: limit) { _ in nil }
    }

    /// Opens a connection and returns its socket without sending anything; the caller closes it.
    static func open(port: Int) throws -> Int32 {
        try RawHTTP.connect(port: port).get()
    }

    /// Reads what the server sent on `socket` within `seconds`, and whether it closed it.
    static func drain(_ socket: Int32, within seconds: Double) -> HeldConnection {
        setTimeout(socket, 0.05)
        let start = Date()
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date().timeIntervalSince(start) < seconds {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count > 0 { received += buffer[..<count]; continue }
            if count == 0 || errno == ECONNRESET {
                return HeldConnection(received: received, ending: .closedByServer, seconds: Date().timeIntervalSince(start))
            }
        }
        return HeldConnection(received: received, ending: .stillOpen, seconds: seconds)
    }

    private static func hold(port: Int, opening: String, interval: Double, limit: Double,
                             next: (Int) -> String?) throws -> HeldConnection {
        let socket = try RawHTTP.connect(port: port).get()
        defer { close(socket) }
        let start = Date()
        setTimeout(socket, interval)
        if !opening.isEmpty, !sendAll(socket, opening) {
            return HeldConnection(received: [], ending: .closedByServer, seconds: Date().timeIntervalSince(start))
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var line = 0
        while Date().timeIntervalSince(start) < limit {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count > 0 {
                received += buffer[..<count]
                continue
            }
            if count == 0 || errno == ECONNRESET {
                return HeldConnection(received: received, ending: .closedByServer, seconds: Date().timeIntervalSince(start))
            }
            // A receive timeout: time for the next line.
            line += 1
            if let text = next(line), !sendAll(socket, text) {
                return HeldConnection(received: received, ending: .closedByServer, seconds: Date().timeIntervalSince(start))
            }
        }
        return HeldConnection(received: received, ending: .stillOpen, seconds: Date().timeIntervalSince(start))
    }

    private static func setTimeout(_ socket: Int32, _ seconds: Double) {
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    private static func sendAll(_ socket: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return send(socket, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count
    }
}
