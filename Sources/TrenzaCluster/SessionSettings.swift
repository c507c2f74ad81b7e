/// Server settings every queue connection starts with, sent in its startup message so that a
/// connection opened by the pool after a restart gets them too.
///
/// They are what frees the row locks of a client that vanished: a backend left "idle in
/// transaction" by a cut-off client is ended after `idleInTransactionTimeout`, and the server's
/// TCP keepalives notice a dead peer in `keepaliveIdle + keepaliveInterval × keepaliveCount`
/// instead of the operating system's two hours.
public struct SessionSettings: Sendable, Equatable {
    public var idleInTransactionTimeout: Duration = .seconds(5)
    public var keepaliveIdle: Duration = .seconds(15)
    public var keepaliveInterval: Duration = .seconds(5)
    public var keepaliveCount = 3
    /// Bounds a statement stuck behind a lock it should never wait for.
    public var statementTimeout: Duration = .seconds(60)

    public init() {}

    func startupParameters(applicationName: String) -> [(String, String)] {
        [
            ("application_name", applicationName),
            ("idle_in_transaction_session_timeout", "\(Self.milliseconds(idleInTransactionTimeout))"),
            ("statement_timeout", "\(Self.milliseconds(statementTimeout))"),
            ("tcp_keepalives_idle", "\(max(1, Self.milliseconds(keepaliveIdle) / 1000))"),
            ("tcp_keepalives_interval", "\(max(1, Self.milliseconds(keepaliveInterval) / 1000))"),
            ("tcp_keepalives_count", "\(keepaliveCount)"),
        ]
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
