import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One running worker process and the two pipes to it.
///
/// Unchecked because ownership is exclusive: a pool's driver thread takes the handle out of the
/// pool's mutex-guarded slots, uses it alone, and puts it back.
final class WorkerProcess: @unchecked Sendable {
    let pid: pid_t
    /// Bytes the request pipe holds before a write blocks: the most that may be in flight unread.
    let requestCapacity: Int
    private var requestFD: Int32
    private let reader: FrameReader
    private var reaped = false

    private init(pid: pid_t, requestFD: Int32, replyFD: Int32) {
        self.pid = pid
        self.requestFD = requestFD
        // Larger pipes let several chunks queue up without either side blocking on a write
        // (Linux grants up to /proc/sys/fs/pipe-max-size, 1 MiB by default).
        let pipeSizeSet: Int32 = 1031, pipeSizeGet: Int32 = 1032
        _ = fcntl(replyFD, pipeSizeSet, Int32(1 << 20))
        let granted = fcntl(requestFD, pipeSizeSet, Int32(1 << 20))
        let capacity = granted > 0 ? granted : fcntl(requestFD, pipeSizeGet)
        self.requestCapacity = capacity > 0 ? Int(capacity) : 1 << 16
        self.reader = FrameReader(fd: replyFD)
    }

    deinit {
        // A worker must never outlive its handle: kill and reap whatever is left.
        if !reaped { _ = kill(signal: SIGKILL) }
        close(reader.fd)
    }

    /// Starts `executable` as a worker and waits for its hello frame.
    static func spawn(_ launch: WorkerLaunch, helloTimeout: Double = 30) throws(WorkerStartError) -> WorkerProcess {
        let toChild = try ChildProcess.pipe()
        let fromChild: (read: Int32, write: Int32)
        do {
            fromChild = try ChildProcess.pipe()
        } catch {
            close(toChild.read); close(toChild.write)
            throw error
        }
        let pid: pid_t
        do {
            pid = try LiveWorkers.spawn { () throws(WorkerStartError) -> pid_t in
                try ChildProcess.spawn(
                    executable: launch.executable, arguments: launch.arguments,
                    environment: [Worker.environmentKey: String(getpid())],
                    redirect: [STDIN_FILENO: toChild.read, STDOUT_FILENO: fromChild.write])
            }
        } catch {
            close(toChild.read); close(toChild.write); close(fromChild.read); close(fromChild.write)
            throw error
        }
        close(toChild.read)
        close(fromChild.write)
        let worker = WorkerProcess(pid: pid, requestFD: toChild.write, replyFD: fromChild.read)
        do throws(WireError) {
            let (kind, payload) = try worker.reader.readFrame(magic: Wire.replyMagic, deadline: monotonicSeconds() + helloTimeout)
            guard kind == .hello, String(decoding: payload, as: UTF8.self) == Wire.protocolVersion else {
                throw WireError.malformed("unexpected first frame")
            }
        } catch {
            let death = worker.kill(signal: SIGKILL)
            let reason: String
            switch error {
            case .endOfStream: reason = "it \(death) before saying hello"
            case .timedOut: reason = "it did not say hello within \(Int(helloTimeout)) s"
            case .malformed(let detail): reason = "it is not a Trenza worker (\(detail))"
            case .system(let detail): reason = detail
            }
            throw .init("\(launch.executable) \(launch.arguments.joined(separator: " ")) did not start as a worker: \(reason)")
        }
        return worker
    }

    /// Sends one request frame.
    func send(_ frame: [UInt8]) throws(WireError) {
        try writeAll(requestFD, frame)
    }

    /// Reads one reply frame, waiting until `deadline` (monotonic seconds) at most.
    func receive(deadline: Double?) throws(WireError) -> [UInt8] {
        let (kind, payload) = try reader.readFrame(magic: Wire.replyMagic, deadline: deadline)
        guard kind == .results else { throw .malformed("unexpected frame kind \(kind)") }
        return payload
    }

    /// Sends `signal`, reaps the process and describes how it ended ("was killed by signal 9 (SIGKILL)").
    @discardableResult
    func kill(signal: Int32) -> String {
        if reaped { return "had already exited" }
        Glibc.kill(pid, signal)
        return reap()
    }

    /// Waits for the process to end (it has closed its pipe or was killed) and describes how.
    @discardableResult
    func reap() -> String {
        if reaped { return "had already exited" }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR {
                let reason = LiveWorkers.isClosed ? "was stopped: this process is shutting down" : "vanished (\(String(cString: strerror(errno))))"
                markReaped()
                return reason
            }
        }
        markReaped()
        closeRequests()
        return Self.describe(waitStatus: status)
    }

    /// Closes stdin so the worker exits on its own; waits `grace` seconds, then kills it.
    func stop(grace: Double) {
        if reaped { return }
        closeRequests()
        let deadline = monotonicSeconds() + grace
        var status: Int32 = 0
        while monotonicSeconds() < deadline {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno != EINTR) { markReaped(); return }
            usleep(2_000)
        }
        kill(signal: SIGKILL)
    }

    private func markReaped() {
        reaped = true
        LiveWorkers.remove(pid)
        closeRequests()
    }

    private func closeRequests() {
        if requestFD >= 0 { close(requestFD); requestFD = -1 }
    }

    static func describe(waitStatus status: Int32) -> String {
        ChildProcess.describe(waitStatus: status)
    }
}

/// How to start a worker: an executable that calls ``Worker/serveIfRequested(_:)`` early.
struct WorkerLaunch: Sendable {
    var executable: String
    var arguments: [String]
}

/// A worker process could not be started; the message says why.
public struct WorkerStartError: Error, CustomStringConvertible, Sendable {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
