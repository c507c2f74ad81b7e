import Foundation
import TrenzaCluster

#if canImport(Glibc)
import Glibc
#endif

/// A throw-away PostgreSQL server in a temporary folder: its own data directory and socket
/// folder, started for one test (or one benchmark) and removed afterwards.
///
/// `initdb` refuses to run as root, so under root the folder is given to the `postgres` user and
/// the server runs as that user through `runuser`. The server listens on a Unix socket only,
/// unless `tcp` asks for 127.0.0.1 on a free port as well.
public final class TestPostgres: Sendable {
    public let folder: String
    public let port: Int
    public let tcp: Bool
    let binaries: String
    let settings: [String]

    /// Where the server's programs are, or nil when PostgreSQL is not installed.
    public static let binaryFolder: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let bin = "\(root)/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: "\(bin)/pg_ctl") { return bin }
        }
        return nil
    }()

    /// Why the tests cannot have a server here, or nil when they can.
    public static var unavailableReason: String? {
        binaryFolder == nil ? "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/pg_ctl); .ci/run installs it" : nil
    }

    /// Creates and starts a server. `durable` keeps PostgreSQL's defaults (every commit waits
    /// for its fsync); otherwise commits skip the disk, which tests of logic do not need.
    ///
    /// `addresses` are more addresses to listen on (an end of a veth pair), and
    /// `trustedNetworks` the networks whose clients may connect without a password.
    public init(tcp: Bool = false, durable: Bool = false, addresses: [String] = [], trustedNetworks: [String] = []) throws {
        guard let binaries = Self.binaryFolder else { throw TestPostgresError(Self.unavailableReason!) }
        self.binaries = binaries
        self.tcp = tcp
        var template = Array("/tmp/trenza-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestPostgresError("cannot make a temporary folder") }
        folder = String(cString: made)
        port = try Self.freePort()
        var settings = ["-k", "\(folder)/sock", "-p", "\(port)", "-c", "listen_addresses=\(((tcp ? ["127.0.0.1"] : []) + addresses).joined(separator: ","))",
                        "-c", "max_connections=200", "-c", "shared_buffers=32MB"]
        if !durable { settings += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] }
        self.settings = settings
        do {
            try FileManager.default.createDirectory(atPath: "\(folder)/sock", withIntermediateDirectories: false)
            if geteuid() == 0 { try run("/bin/chown", ["-R", "postgres:postgres", folder]) }
            try runAsServerUser("initdb", ["-D", "\(folder)/data", "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"])
            if !trustedNetworks.isEmpty {
                let rules = trustedNetworks.map { "host all all \($0) trust\n" }.joined()
                let hba = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(folder)/data/pg_hba.conf"))
                try hba.seekToEnd()
                try hba.write(contentsOf: Data(rules.utf8))
                try hba.close()
            }
            try start()
        } catch {
            stop()
            throw error
        }
    }

    /// The URL a client uses: the socket folder, as libpq writes it.
    public var socketURL: QueueURL {
        try! QueueURL("postgresql://postgres@/postgres?host=\(folder)/sock&port=\(port)")
    }

    /// The same server over TCP (when started with `tcp`).
    public var tcpURL: QueueURL {
        try! QueueURL("postgresql://postgres@127.0.0.1:\(port)/postgres?sslmode=disable")
    }

    public func start() throws {
        try runAsServerUser("pg_ctl", ["-D", "\(folder)/data", "-l", "\(folder)/server.log", "-o", Self.shellJoined(settings), "-w", "-t", "30", "start"])
    }

    /// `pg_ctl restart -m fast`: every connection is terminated, the server comes back on the
    /// same socket and port.
    public func restart() throws {
        try runAsServerUser("pg_ctl", ["-D", "\(folder)/data", "-l", "\(folder)/server.log", "-o", Self.shellJoined(settings), "-m", "fast", "-w", "-t", "30", "restart"])
    }

    /// Stops the server (fast shutdown, or by its PID if that fails) and deletes its folder.
    public func stop() {
        let data = "\(folder)/data"
        if FileManager.default.fileExists(atPath: "\(data)/postmaster.pid") {
            if (try? runAsServerUser("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "20", "stop"])) == nil,
               let text = try? String(contentsOfFile: "\(data)/postmaster.pid", encoding: .utf8),
               let line = text.split(separator: "\n").first, let pid = pid_t(line) {
                kill(pid, SIGKILL)
            }
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The server's log, for a failing test's message.
    public var log: String { (try? String(contentsOfFile: "\(folder)/server.log", encoding: .utf8)) ?? "" }

    /// Runs `body` with a fresh server and stops it afterwards, whether `body` threw or not.
    public static func with<Result>(tcp: Bool = false, durable: Bool = false, _ body: (TestPostgres) async throws -> Result) async throws -> Result {
        let server = try TestPostgres(tcp: tcp, durable: durable)
        do {
            let result = try await body(server)
            server.stop()
            return result
        } catch {
            server.stop()
            throw error
        }
    }

    func runAsServerUser(_ program: String, _ arguments: [String]) throws {
        if geteuid() == 0 {
            try run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(binaries)/\(program)"] + arguments)
        } else {
            try run("\(binaries)/\(program)", arguments)
        }
    }

    /// Runs a program to its end, its output appended to `commands.log` in the folder.
    /// posix_spawn and waitpid rather than Foundation's `Process`: several tests start servers
    /// at once, and `Process.waitUntilExit` was seen to miss a child's exit in that case.
    func run(_ executable: String, _ arguments: [String]) throws {
        let logPath = "\(folder)/commands.log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw TestPostgresError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw TestPostgresError("\(executable) \(arguments.joined(separator: " ")) \(exited ? "exited with \(code)" : "was killed by signal \(status & 0x7f)"): \(output.suffix(2_000))")
        }
    }

    static func shellJoined(_ words: [String]) -> String {
        words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
    }

    /// A port nothing listens on: the kernel's pick for a socket bound to port 0.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestPostgresError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestPostgresError("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
