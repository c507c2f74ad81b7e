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
    private static let state = Mutex<(pids: Set<pid_t>, closed: Bool)>(([], false))

    /// Starts a worker with `start` and records it, under the lock that the interrupt handler
    /// takes: a worker is either recorded before the handler looks (and is killed by it) or never
    /// started (the handler got there first).
    static func spawn(_ start: () throws(WorkerStartError) -> pid_t) throws(WorkerStartError) -> pid_t {
        try state.withLock { (state) throws(WorkerStartError) -> pid_t in
            guard !state.closed else { throw WorkerStartError("this process is shutting down; no new worker was started") }
            let pid = try start()
            state.pids.insert(pid)
            return pid
        }
    }

    static func remove(_ pid: pid_t) { _ = state.withLock { $0.pids.remove(pid) } }

    /// True once an interrupt has started shutting the process down.
    static var isClosed: Bool { state.withLock { $0.closed } }

    /// Refuses new workers from now on and returns the live ones.
    static func close() -> [pid_t] {
        state.withLock { state in
            state.closed = true
            return Array(state.pids)
        }
    }
}

extension ProcessPool {
    /// Makes SIGINT and SIGTERM end this process cleanly: every worker process of every pool is
    /// killed and reaped first and every ``ScratchFolder`` removed, then the process ends by the same signal (so the shell still sees
    /// "interrupted"). Call once, early in `main`; idempotent.
    ///
    /// Without it, workers still never outlive the process (each exits within a tenth of a second
    /// of its parent's death), but they are reaped by init rather than by us.
    public static func installInterruptHandler() {
        InterruptHandler.shared.install()
    }

    /// Call just before the program exits normally: if an interrupt is being handled, waits for
    /// the handler to end the process by its signal, so the exit status says "interrupted"
    /// rather than reporting the items the interrupt failed.
    public static func yieldToPendingInterrupt() {
        guard LiveWorkers.isClosed else { return }
        usleep(2_000_000)
    }
}

private final class InterruptHandler: Sendable {
    static let shared = InterruptHandler()
    private let sources = Mutex<[any DispatchSourceSignal]>([])

    func install() {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            // A parent that started us from a thread blocking signals (as Dispatch's threads
            // do) leaves them blocked here too; this thread must be able to take them.
            var interrupts = sigset_t()
            sigemptyset(&interrupts)
            sigaddset(&interrupts, SIGINT)
            sigaddset(&interrupts, SIGTERM)
            pthread_sigmask(SIG_UNBLOCK, &interrupts, nil)
            for signalNumber in [SIGINT, SIGTERM] {
                // Dispatch delivers the signal on a queue, where killing and reaping is safe.
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler {
                    let workers = LiveWorkers.close()
                    for pid in workers { kill(pid, SIGKILL) }
                    for pid in workers {
                        // A pool's driver may reap it first (ECHILD): either way it is gone.
                        var status: Int32 = 0
                        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    }
                    ScratchFolder.removeAll()
                    // End by the same signal, from this thread: Dispatch's threads block
                    // signals, so unblock it here before raising it.
                    signal(signalNumber, SIG_DFL)
                    var only = sigset_t()
                    sigemptyset(&only)
                    sigaddset(&only, signalNumber)
                    pthread_sigmask(SIG_UNBLOCK, &only, nil)
                    raise(signalNumber)
                    _exit(128 + signalNumber)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
