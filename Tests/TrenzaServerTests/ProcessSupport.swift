import Foundation
import TrenzaTestSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif




/// A running `trenza` process whose output is collected as it comes.
final class TrenzaProcess: Sendable {
    private let process: Process
    private let output = Collected()
    private let errors = Collected()
    private let finishedReading = DispatchGroup()

    init(_ arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: trenzaPath)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        for (pipe, sink) in [(stdout, output), (stderr, errors)] {
            finishedReading.enter()
            Thread { [finishedReading] in
                while true {
                    let chunk = pipe.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    sink.append(chunk)
                }
                finishedReading.leave()
            }.start()
        }
    }

    var pid: Int32 { process.processIdentifier }
    var standardOutput: String { output.text }
    var standardError: String { errors.text }

    /// The port from the `Listening on http://127.0.0.1:PORT` line, once it is printed.
    func listeningPort(within seconds: Double = 60) async -> Int? {
        var port: Int?
        _ = await eventually(within: seconds) {
            port = standardOutput.firstMatch(of: /Listening on http:\/\/127\.0\.0\.1:(\d+)\n/).flatMap { Int($0.1) }
            return port != nil || !process.isRunning
        }
        return port
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits, on its own thread, for the process to end (killing it after `timeout` seconds) and
    /// for its output to be read to the end; returns its exit status, or nil if it had to be killed
    /// or died by a signal.
    func exitStatus(timeout: Double = 60) async throws -> Int32? {
        let process = self.process, finishedReading = self.finishedReading
        return try await onOwnThread {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            finishedReading.wait()
            return process.terminationReason == .exit ? process.terminationStatus : nil
        }
    }
}

/// Bytes a reader thread appends while tests read what has come so far.
final class Collected: Sendable {
    private let data = Mutex(Data())
    func append(_ chunk: Data) { data.withLock { $0.append(chunk) } }
    var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}

/// A flag one thread raises and another reads.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func raise() { value.store(true, ordering: .releasing) }
    var isRaised: Bool { value.load(ordering: .acquiring) }
}

/// Runs `trenza` to completion and returns its exit status and what it wrote on stderr.
func runTrenza(_ arguments: [String]) async throws -> (status: Int32?, error: String) {
    let process = try TrenzaProcess(arguments)
    let status = try await process.exitStatus()
    return (status, process.standardError)
}

/// A response read off a raw socket.
struct RawResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: String
}

enum SocketError: Error, CustomStringConvertible {
    case system(String, Int32)
    case malformed(String)

    var description: String {
        switch self {
        case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
        case .malformed(let text): "not an HTTP response: \(text.prefix(200))"
        }
    }
}

/// A plain HTTP/1.1 client on a blocking socket: nothing between the test and the server's bytes.
enum RawHTTP {
    /// Connects to 127.0.0.1:`port`; the socket, or the `errno` of a failed connect.
    static func connect(port: Int) -> Result<Int32, SocketError> {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return .failure(.system("socket", errno)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 {
            let code = errno
            close(socket)
            return .failure(.system("connect", code))
        }
        return .success(socket)
    }

    /// Sends `GET path` with `Connection: close` and reads the response to the end (blocking);
    /// `sent` is raised once the whole request has gone out.
    static func get(port: Int, path: String, timeout: Int = 60, sent: Flag? = nil) throws -> RawResponse {
        let socket = try connect(port: port).get()
        defer { close(socket) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard send(socket, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { throw SocketError.system("send", errno) }
        sent?.raise()
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count < 0 { throw SocketError.system("recv", errno) }
            if count == 0 { break }
            received += buffer[..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw SocketError.malformed(text) }
        let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
        guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1.1 "),
              let status = Int(statusLine.dropFirst(9).prefix(3)) else { throw SocketError.malformed(text) }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw SocketError.malformed(text) }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return RawResponse(status: status, headers: headers, body: String(text[split.upperBound...]))
    }
}

/// What came back on a raw connection, and how the connection ended.
struct RawExchange: Sendable {
    enum Ending: Sendable, Equatable { case closed, reset }
    var bytes: [UInt8]
    var ending: Ending

    /// The status line's code, if a response head arrived.
    var status: Int? {
        let text = String(decoding: bytes.prefix(64), as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }

    /// The bytes after the response head.
    var body: [UInt8] {
        let marker: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: marker) }) else { return [] }
        return Array(bytes[(end + 4)...])
    }
}

extension RawHTTP {
    /// Sends `request` as it is, then reads until the server closes or resets the connection.
    static func exchange(port: Int, request: [UInt8], timeout: Int = 30) throws -> RawExchange {
        let socket = try connect(port: port).get()
        defer { close(socket) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard send(socket, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { throw SocketError.system("send", errno) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count < 0 {
                if errno == ECONNRESET { return RawExchange(bytes: received, ending: .reset) }
                throw SocketError.system("recv", errno)
            }
            if count == 0 { return RawExchange(bytes: received, ending: .closed) }
            received += buffer[..<count]
        }
    }

    /// `GET path` with `Connection: close`, read to the end as bytes.
    static func exchange(port: Int, get path: String) throws -> RawExchange {
        try exchange(port: port, request: Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
    }
}
