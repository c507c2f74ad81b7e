import Foundation
import PostgresNIO

/// Where the queue's database is, from a connection URL written the way libpq (and so `psql`)
/// reads it: `postgresql://user:pass@host:port/db?sslmode=require`, `postgres://…`, and a
/// Unix-socket folder as `postgresql:///db?host=/run/postgresql` or a percent-encoded host
/// (`postgresql://%2Frun%2Fpostgresql/db`).
///
/// Only what one connection needs is accepted; a parameter libpq knows but the queue cannot honour
/// (several hosts, client certificates) is refused with a message rather than silently ignored.
public struct QueueURL: Sendable, Equatable, CustomStringConvertible {
    /// How to reach the server.
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// The folder that holds the server's socket file, and the port that names the file.
        case socket(folder: String, port: Int)
    }

    /// libpq's `sslmode`, which decides whether TLS is tried, required and verified.
    public enum SSLMode: String, Sendable, Equatable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var endpoint: Endpoint
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// A PEM file of certificate authorities to trust (`sslrootcert`), instead of the system's.
    public var sslRootCertificate: String?
    public var connectTimeout: Duration
    public var applicationName: String

    /// Where libpq on Debian looks for the server when a URL names no host.
    public static let defaultSocketFolder = "/var/run/postgresql"

    /// Parses `text`. A URL without a user connects as `defaultUser` (libpq uses the login name),
    /// one without a database uses the user's name, as libpq does.
    public init(_ text: String, defaultUser: String = QueueURL.loginName) throws(QueueURLError) {
        let parts = try QueueURLParts(text)
        var port = 5432
        if let portText = parts.port ?? parts.parameters["port"] {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw QueueURLError(text, "the port \"\(portText)\" is not a number from 1 to 65535")
            }
            port = value
        }
        let host = parts.parameters["host"] ?? parts.host
        if let host, host.contains(",") {
            throw QueueURLError(text, "several hosts (\(host)) are not supported; give one")
        }
        switch host {
        case .some(let name) where !name.isEmpty && !name.hasPrefix("/"):
            endpoint = .tcp(host: name, port: port)
        case .some(let folder) where !folder.isEmpty:
            endpoint = .socket(folder: folder, port: port)
        default:
            endpoint = .socket(folder: Self.defaultSocketFolder, port: port)
        }
        user = parts.parameters["user"] ?? parts.user ?? defaultUser
        guard !user.isEmpty else { throw QueueURLError(text, "no user name, and none to default to") }
        password = parts.parameters["password"] ?? parts.password
        database = parts.parameters["dbname"] ?? parts.database ?? user
        if let mode = parts.parameters["sslmode"] {
            guard let known = SSLMode(rawValue: mode) else {
                throw QueueURLError(text, "sslmode \"\(mode)\" is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            sslMode = known
        } else {
            sslMode = .prefer
        }
        sslRootCertificate = parts.parameters["sslrootcert"]
        connectTimeout = .seconds(10)
        if let timeout = parts.parameters["connect_timeout"] {
            guard let seconds = Int(timeout), seconds >= 0 else {
                throw QueueURLError(text, "connect_timeout \"\(timeout)\" is not a whole number of seconds")
            }
            // libpq reads 0 as "wait for ever"; a day is as good here and keeps the pool's timer finite.
            connectTimeout = .seconds(seconds == 0 ? 86_400 : max(seconds, 2))
        }
        applicationName = parts.parameters["application_name"] ?? "trenza"
        if case .socket = endpoint, sslMode == .require || sslMode == .verifyCA || sslMode == .verifyFull {
            throw QueueURLError(text, "sslmode=\(sslMode.rawValue) needs a TCP host; a Unix socket has no TLS")
        }
    }

    /// The socket file itself: postgres-nio wants the file, libpq URLs name its folder.
    public var socketFile: String? {
        guard case .socket(let folder, let port) = endpoint else { return nil }
        return (folder.hasSuffix("/") ? folder : folder + "/") + ".s.PGSQL.\(port)"
    }

    /// The URL again, without the password: for messages and logs.
    public var description: String {
        let userPart = user.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? user
        let dbPart = database.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? database
        var text: String
        switch endpoint {
        case .tcp(let host, let port):
            let hostPart = host.contains(":") ? "[\(host)]" : host
            text = "postgresql://\(userPart)@\(hostPart):\(port)/\(dbPart)"
            if sslMode != .prefer { text += "?sslmode=\(sslMode.rawValue)" }
        case .socket(let folder, let port):
            text = "postgresql://\(userPart)@/\(dbPart)?host=\(folder)"
            if port != 5432 { text += "&port=\(port)" }
        }
        return text
    }

    /// The login name of this process's user, libpq's default user.
    public static var loginName: String {
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? ""
    }
}

extension QueueURL {
    /// A postgres-nio client configuration for this URL, with `session` applied to every
    /// connection as it starts.
    public func clientConfiguration(session: SessionSettings = SessionSettings()) throws -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .socket:
            configuration = .init(unixSocketPath: socketFile!, username: user, password: password, database: database)
        case .tcp(let host, let port):
            configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: try tls())
        }
        configuration.options.connectTimeout = connectTimeout
        configuration.options.additionalStartupParameters = session.startupParameters(applicationName: applicationName)
        // The client's side of noticing a dead peer: an idle pooled connection is tried (a
        // `SELECT 1`) as often as the server probes its end, and dropped when that fails, so
        // the next statement gets a live connection instead of a half-open one.
        configuration.options.keepAliveBehavior = .init(frequency: session.keepaliveIdle)
        return configuration
    }

    private func tls() throws -> PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let sslRootCertificate { tls.trustRoots = .file(sslRootCertificate) }
        switch sslMode {
        case .disable:
            return .disable
        case .allow, .prefer:
            // libpq encrypts but does not verify in these modes.
            tls.certificateVerification = .none
            return .prefer(tls)
        case .require:
            // As libpq: `require` verifies the server only when a root certificate is given.
            tls.certificateVerification = sslRootCertificate == nil ? .none : .noHostnameVerification
            return .require(tls)
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
            return .require(tls)
        case .verifyFull:
            tls.certificateVerification = .fullVerification
            return .require(tls)
        }
    }
}
