import Synchronization
internal import SystemPackage

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

/// Ends the process cleanly on SIGINT and SIGTERM: kills and reaps every worker, removes the
/// scratch folders, then ends by the same signal.
///
/// The signal handler only writes the signal's number to a pipe; a thread of our own reads it
/// and does the work, where killing, reaping and deleting are safe. If that thread cannot be
/// started (a process limit), nothing is installed: the signals keep their default action and
/// end the process at once, and the workers follow within a tenth of a second by their
/// watchdogs — a limit must never leave a program that ignores SIGTERM.
enum InterruptHandler {
    nonisolated(unsafe) private static var pipeWriteEnd: Int32 = -1
    private static let installed = Mutex(false)

    static func install() {
        installed.withLock { installed in
            guard !installed else { return }
            guard let pipe = try? ChildProcess.pipe() else { return }
            let started = startThread(name: "trenza-signals") { waitForSignal(pipe.read) }
            guard case .success(let thread) = started else {
                close(pipe.read); close(pipe.write)
                return
            }
            pthread_detach(thread)
            pipeWriteEnd = pipe.write
            // A parent that started us from a thread blocking signals (as Dispatch's threads
            // do) leaves them blocked here too.
            var interrupts = sigset_t()
            sigemptyset(&interrupts)
            sigaddset(&interrupts, SIGINT)
            sigaddset(&interrupts, SIGTERM)
            pthread_sigmask(SIG_UNBLOCK, &interrupts, nil)
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber) { number in
                    var byte = UInt8(truncatingIfNeeded: number)
                    _ = write(InterruptHandler.pipeWriteEnd, &byte, 1)
                }
            }
            installed = true
        }
    }

    /// A deadline by which the program must confirm it is running, with what to say if not.
    private static let watchdog = Mutex<(deadline: Double, message: String)?>(nil)

    /// Ends the program with `message` (on stderr, exit status 70) unless ``disarm()`` comes
    /// within `seconds`. For the one hang no code of ours can see from inside: the system
    /// refusing the threads Swift's concurrency runtime needs, which then waits for them forever.
    /// Does nothing where the handler's thread could not be started.
    static func arm(seconds: Double, message: String) {
        watchdog.withLock { $0 = (monotonicSeconds() + seconds, message) }
        wakeSignalThread()
    }

    static func disarm() {
        watchdog.withLock { $0 = nil }
    }

    /// A zero byte is not a signal: it makes the thread read the watchdog's deadline again.
    private static func wakeSignalThread() {
        guard pipeWriteEnd >= 0 else { return }
        var zero: UInt8 = 0
        _ = write(pipeWriteEnd, &zero, 1)
    }

    private static func waitForSignal(_ readEnd: Int32) {
        var byte: UInt8 = 0
        while byte == 0 {
            var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let armed = watchdog.withLock { $0 }
            let timeout = armed.map { Int32(max(0, min(($0.deadline - monotonicSeconds()) * 1000 + 1, Double(Int32.max)))) } ?? -1
            let ready = poll(&descriptor, 1, timeout)
            if ready == 0, let armed = watchdog.withLock({ $0 }), monotonicSeconds() >= armed.deadline {
                _ = try? FileDescriptor.standardError.writeAll(Array((armed.message + "\n").utf8))
                _exit(70)
            }
            guard ready > 0 else { continue }
            let got = try? withUnsafeMutableBytes(of: &byte) { try FileDescriptor(rawValue: readEnd).read(into: $0) }
            guard got == 1 else { return }
        }
        let signalNumber = Int32(byte)
        let workers = LiveWorkers.close()
        for pid in workers { kill(pid, SIGKILL) }
        for pid in workers {
            // A pool's thread may reap it first (ECHILD): either way it is gone.
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        ScratchFolder.removeAll()
        signal(signalNumber, SIG_DFL)
        var only = sigset_t()
        sigemptyset(&only)
        sigaddset(&only, signalNumber)
        pthread_sigmask(SIG_UNBLOCK, &only, nil)
        raise(signalNumber)
        _exit(128 + signalNumber)
    }
}
