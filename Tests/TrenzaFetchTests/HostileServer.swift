import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A server that misbehaves on purpose, on an ephemeral port of 127.0.0.1, with a thread per
/// connection and every answer bounded in bytes and time:
///
/// - `/endless`: a body without `Content-Length` that never ends (until 256 MiB or 20 s);
/// - `/liar`: announces 10 GiB, sends 64 KiB, then waits for the client to give up;
/// - `/to-file`, `/to-ftp`: a redirect to `file:///etc/passwd`, to `ftp://127.0.0.1/x`;
/// - `/busy`: 503 with `Retry-After: 99999999` (three years).
final class HostileServer: Sendable {
    let port: Int
    private let listener: Int32

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw TestError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 64) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        guard bound else {
            close(listener)
            throw TestError("cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread {
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 {
                    if errno == EINTR { continue }
                    return
                }
                Thread { Self.serve(connection) }.start()
            }
        }.start()
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// Stops accepting; connections being served end within their own bounds.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func serve(_ connection: Int32) {
        defer { close(connection) }
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard let path = readRequestPath(connection) else { return }
        let start = Date()
        switch path {
        case "/endless":
            guard write(connection, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n") else { return }
            let chunk = [UInt8](repeating: 0x5A, count: 64 << 10)
            var sent = 0
            while sent < 256 << 20, Date().timeIntervalSince(start) < 20 {
                guard send(connection, chunk, chunk.count, Int32(MSG_NOSIGNAL)) == chunk.count else { return }
                sent += chunk.count
            }
        case "/liar":
            guard write(connection, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 10737418240\r\n\r\n") else { return }
            let chunk = [UInt8](repeating: 0x5A, count: 64 << 10)
            guard send(connection, chunk, chunk.count, Int32(MSG_NOSIGNAL)) == chunk.count else { return }
            var buffer = [UInt8](repeating: 0, count: 1024)
            while Date().timeIntervalSince(start) < 10, recv(connection, &buffer, buffer.count, 0) != 0 {}
        case "/to-file":
            _ = write(connection, "HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        case "/busy":
            _ = write(connection, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 99999999\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        case "/to-ftp":
            _ = write(connection, "HTTP/1.1 301 Moved Permanently\r\nLocation: ftp://127.0.0.1/x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        default:
            _ = write(connection, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        }
    }

    private static func readRequestPath(_ connection: Int32) -> String? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < 16 << 10 {
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            received += buffer[..<count]
            let text = String(decoding: received, as: UTF8.self)
            if text.contains("\r\n\r\n") {
                let parts = text.prefix { $0 != "\r" }.split(separator: " ")
                return parts.count >= 2 ? String(parts[1]) : nil
            }
        }
        return nil
    }

    private static func write(_ connection: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return send(connection, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count
    }
}

/// Runs `body` with a ``HostileServer`` listening, then stops it.
func withHostileServer<T: Sendable>(_ body: (_ base: String) async throws -> T) async throws -> T {
    let server = try HostileServer()
    defer { server.stop() }
    return try await body(server.base)
}
