import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Every worker process this process has started and not yet reaped.
///
/// Process-wide by necessity: a signal is delivered to the process, not to a pool, and on
/// Ctrl-C or SIGTERM every pool's workers must go before we do.
enum LiveWorkers {
    private static let pids = Mutex<Set<pid_t>>([])

    static func add(_ pid: pid_t) { _ = pids.withLock { $0.insert(pid) } }
    static func remove(_ pid: pid_t) { _ = pids.withLock { $0.remove(pid) } }
    static var all: [pid_t] { pids.withLock { Array($0) } }
}

extension ProcessPool {
    /// Makes SIGINT and SIGTERM end this process cleanly: every worker process of every pool is
    /// killed and reaped first, then the process ends by the same signal (so the shell still sees
    /// "interrupted"). Call once, early in `main`; idempotent.
    ///
    /// Without it, workers still never outlive the process (each exits within a tenth of a second
    /// of its parent's death), but they are reaped by init rather than by us.
    public static func installInterruptHandler() {
        InterruptHandler.shared.install()
    }
}

private final class InterruptHandler: Sendable {
    static let shared = InterruptHandler()
    private let sources = Mutex<[any DispatchSourceSignal]>([])

    func install() {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            for signalNumber in [SIGINT, SIGTERM] {
                // Dispatch delivers the signal on a queue, where killing and reaping is safe.
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler {
                    for pid in LiveWorkers.all { kill(pid, SIGKILL) }
                    for pid in LiveWorkers.all {
                        var status: Int32 = 0
                        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    }
                    signal(signalNumber, SIG_DFL)
                    raise(signalNumber)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
