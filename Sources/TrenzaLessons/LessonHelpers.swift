import CTrenzaSystem
import Foundation
import Trenza

#if canImport(Glibc)
import Glibc
#endif

/// The helper processes of the inter-process lesson (§3.2): the same executable, started with
/// a role in its environment. Each role talks to its peers only through the descriptors and
/// files it was given.
enum LessonHelpers {
    static let environmentKey = "TRENZA_LESSON_HELPER"

    static func serve(role: String, arguments: [String]) -> Never {
        signal(SIGPIPE, SIG_IGN)
        let scale = ProcessInfo.processInfo.environment["TRENZA_TIME_SCALE"].flatMap(Double.init) ?? 1
        switch role {
        case "producer": producer(timeScale: scale)
        case "consumer": consumer(timeScale: scale)
        case "squarer": squarer()
        case "shared-memory-adder": sharedMemoryAdder(arguments)
        case "manager": manager(arguments)
        case "manager-client": managerClient(arguments)
        default:
            FileHandle.standardError.write(Data("unknown lesson helper role \(role)\n".utf8))
            exit(2)
        }
    }

    /// Puts five messages on the queue (its stdout), then the `None` sentinel; logs on stderr.
    private static func producer(timeScale: Double) -> Never {
        for i in 0..<5 {
            let message = "Mensaje \(i)"
            writeLine(STDOUT_FILENO, message)
            writeLine(STDERR_FILENO, "Producer: \(message)")
            Thread.sleep(forTimeInterval: 0.5 * timeScale)
        }
        writeLine(STDOUT_FILENO, "None")
        exit(0)
    }

    /// Takes messages from the queue (its stdin) until the sentinel; reports each on stdout.
    private static func consumer(timeScale: Double) -> Never {
        let lines = LineReader(fd: STDIN_FILENO)
        while let message = lines.next() {
            if message == "None" { break }
            writeLine(STDOUT_FILENO, "Consumer: received \(message)")
            Thread.sleep(forTimeInterval: 1 * timeScale)
        }
        exit(0)
    }

    /// One end of a two-way pipe: answers each number with its square, until "close".
    private static func squarer() -> Never {
        let lines = LineReader(fd: STDIN_FILENO)
        while let line = lines.next(), line != "close" {
            let value = Int(line) ?? 0
            writeLine(STDOUT_FILENO, "\(value * value)")
        }
        exit(0)
    }

    /// Adds to a counter and an array that live in a file mapped shared by every adder.
    /// Arguments: path, adder number, iterations, array length.
    private static func sharedMemoryAdder(_ arguments: [String]) -> Never {
        guard arguments.count == 4, let number = Int(arguments[1]), let iterations = Int(arguments[2]),
              let length = Int(arguments[3]) else { exit(2) }
        guard let memory = SharedMemory(path: arguments[0], slots: 1 + length) else { exit(3) }
        for iteration in 0..<iterations {
            trenza_atomic_fetch_add(memory.slot(0), 1)
            trenza_atomic_fetch_add(memory.slot(1 + iteration % length), Int64(number + 1))
        }
        exit(0)
    }

    /// Owns a dictionary and serves it over a Unix socket, one thread per client.
    /// Arguments: socket path. Says "ready" on stdout once listening.
    private static func manager(_ arguments: [String]) -> Never {
        guard arguments.count == 1 else { exit(2) }
        let server: Int32
        do {
            server = try UnixSocket.listen(path: arguments[0])
        } catch {
            FileHandle.standardError.write(Data("manager: \(error)\n".utf8))
            exit(3)
        }
        writeLine(STDOUT_FILENO, "ready")
        let dictionary = ManagedDictionary()
        while true {
            let client = accept(server, nil, nil)
            if client < 0 { continue }
            let thread = Thread {
                let lines = LineReader(fd: client)
                while let request = lines.next() {
                    let words = request.split(separator: " ").map(String.init)
                    switch words.first {
                    case "incr" where words.count == 3:
                        writeLine(client, "\(dictionary.add(Int(words[2]) ?? 0, to: words[1]))")
                    case "get" where words.count == 2:
                        writeLine(client, "\(dictionary.value(of: words[1]))")
                    case "dump":
                        writeLine(client, dictionary.dump())
                    case "quit":
                        writeLine(client, "bye")
                        unlink(arguments[0])
                        exit(0)
                    default:
                        writeLine(client, "error: unknown request \(request)")
                    }
                }
                close(client)
            }
            thread.start()
        }
    }

    /// Connects to the manager and adds `amount` to each of `keys`, `times` times.
    /// Arguments: socket path, amount, times, keys…
    private static func managerClient(_ arguments: [String]) -> Never {
        guard arguments.count >= 4, let amount = Int(arguments[1]), let times = Int(arguments[2]) else { exit(2) }
        guard let connection = try? UnixSocket.connect(path: arguments[0]) else { exit(3) }
        let replies = LineReader(fd: connection)
        for _ in 0..<times {
            for key in arguments[3...] {
                writeLine(connection, "incr \(key) \(amount)")
                guard replies.next() != nil else { exit(4) }
            }
        }
        close(connection)
        exit(0)
    }
}

/// The dictionary a manager process owns; its clients change it only through messages.
private final class ManagedDictionary: Sendable {
    private let values = Mutex<[String: Int]>([:])

    func add(_ amount: Int, to key: String) -> Int {
        values.withLock { $0[key, default: 0] += amount; return $0[key]! }
    }

    func value(of key: String) -> Int { values.withLock { $0[key] ?? 0 } }

    func dump() -> String {
        values.withLock { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
    }
}

import Synchronization

/// A file mapped `MAP_SHARED` by several processes: what they write, the others see.
final class SharedMemory {
    let base: UnsafeMutablePointer<Int64>
    let slots: Int

    /// Maps `slots` 64-bit integers of the file at `path`, growing it if it is shorter.
    init?(path: String, slots: Int) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let size = slots * MemoryLayout<Int64>.stride
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        if Int(info.st_size) < size, ftruncate(fd, off_t(size)) != 0 { return nil }
        guard let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
              address != MAP_FAILED else { return nil }
        base = address.bindMemory(to: Int64.self, capacity: slots)
        self.slots = slots
    }

    deinit { munmap(base, slots * MemoryLayout<Int64>.stride) }

    func slot(_ index: Int) -> UnsafeMutablePointer<Int64> { base + index }

    func load(_ index: Int) -> Int64 { trenza_atomic_load(base + index) }
}

/// Reads `\n`-terminated lines from a descriptor.
final class LineReader {
    private let fd: Int32
    private var pending: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    /// The next line without its newline, or `nil` at end of stream.
    func next() -> String? {
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 {
                guard !pending.isEmpty else { return nil }
                defer { pending.removeAll() }
                return String(decoding: pending, as: UTF8.self)
            }
            pending.append(contentsOf: chunk[..<got])
        }
    }
}

/// Writes `line` and a newline to `fd`, all of it.
func writeLine(_ fd: Int32, _ line: String) {
    let bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return }
        offset += written
    }
}

/// Unix-domain stream sockets by path.
enum UnixSocket {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func listen(path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        unlink(path)
        var address = try socketAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 64) == 0 else {
            close(fd)
            throw Failure(description: "cannot listen on \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    static func connect(path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var address = try socketAddress(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "cannot connect to \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    private static func socketAddress(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw Failure(description: "socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }
}
