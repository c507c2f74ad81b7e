import PostgresNIO

extension ClusterQueue {
    /// Calls `wake` for every notification on `channel` (with `payload`, when given), and once
    /// each time listening starts, since anything may have happened while it was not. Listens
    /// again with backoff when the connection drops (the server restarted); returns only when
    /// the task is cancelled.
    func listen(on channel: String, payload: String? = nil, _ wake: @escaping @Sendable (String) -> Void) async {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        wake("")
                        delay = .milliseconds(100)
                        for try await notification in notifications where payload == nil || notification.payload == payload {
                            wake(notification.payload)
                        }
                    }
                }
            } catch {
                logger.debug("listener on \(channel) lost its connection", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }
}
