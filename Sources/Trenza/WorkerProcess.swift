import Foundation
internal import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// One running worker process and the three pipes to it: requests in, replies out, and its
/// stderr, which is relayed to ours while the parent keeps the last lines of it, so that a crash
/// can be reported with the worker's last words.
///
/// Unchecked because ownership is exclusive: only the pool slot's thread that spawned a worker
/// uses it.
final class WorkerProcess: @unchecked Sendable {
    let pid: pid_t
    /// Bytes the request pipe holds before a write blocks: the most that may be in flight unread.
    let requestCapacity: Int
    private var requestFD: Int32
    private let reader: FrameReader
    private var stderrFD: Int32
    private var stderrTail = LastWords()
    private var reaped = false

    private init(pid: pid_t, requestFD: Int32, replyFD: Int32, stderrFD: Int32) {
        self.pid = pid
        self.requestFD = requestFD
        self.stderrFD = stderrFD
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
        if stderrFD >= 0 { close(stderrFD) }
    }

    /// Starts `launch` as a worker, waits for its hello and runs its setup, if any.
    static func spawn(_ launch: WorkerLaunch, helloTimeout: Double = 30) throws(WorkerStartError) -> WorkerProcess {
        var opened: [Int32] = []
        func cleanUp() { opened.forEach { close($0) } }
        let toChild: (read: Int32, write: Int32), fromChild: (read: Int32, write: Int32), errors: (read: Int32, write: Int32)
        do {
            toChild = try ChildProcess.pipe(); opened += [toChild.read, toChild.write]
            fromChild = try ChildProcess.pipe(); opened += [fromChild.read, fromChild.write]
            errors = try ChildProcess.pipe(); opened += [errors.read, errors.write]
        } catch {
            cleanUp()
            throw error
        }
        var environment = [Worker.environmentKey: String(getpid())]
        // One line for a crash, not a page of backtrace per worker (the user's choice wins).
        if ProcessInfo.processInfo.environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = "enable=no" }
        let pid: pid_t
        do {
            pid = try LiveWorkers.spawn { () throws(WorkerStartError) -> pid_t in
                try ChildProcess.spawn(
                    executable: launch.executable, arguments: launch.arguments, environment: environment,
                    redirect: [STDIN_FILENO: toChild.read, STDOUT_FILENO: fromChild.write, STDERR_FILENO: errors.write])
            }
        } catch {
            cleanUp()
            throw error
        }
        close(toChild.read)
        close(fromChild.write)
        close(errors.write)
        _ = fcntl(errors.read, F_SETFL, fcntl(errors.read, F_GETFL) | O_NONBLOCK)
        let worker = WorkerProcess(pid: pid, requestFD: toChild.write, replyFD: fromChild.read, stderrFD: errors.read)
        var setupFailure: String?
        do throws(WireError) {
            let deadline = monotonicSeconds() + helloTimeout
            let (kind, payload) = try worker.readFrame(deadline: deadline)
            guard kind == .hello, String(decoding: payload, as: UTF8.self) == Wire.protocolVersion else {
                throw WireError.malformed("unexpected first frame")
            }
            if let setup = launch.setup {
                try worker.send(Wire.parcelFrame(kind: .setup, setup))
                let (kind, payload) = try worker.readFrame(deadline: nil)
                guard kind == .setupResult else { throw WireError.malformed("unexpected reply to the setup") }
                var reader = Wire.PayloadReader(payload)
                _ = try reader.count(minimumEntrySize: 5)
                let status = try reader.uint8()
                setupFailure = String(decoding: try reader.slice(try reader.uint32()), as: UTF8.self)
                if status == Wire.Status.ok.rawValue { setupFailure = nil }
            }
        } catch {
            let death = worker.kill(signal: SIGKILL)
            let reason: String
            switch error {
            case .endOfStream: reason = "it \(death) before saying hello\(worker.lastWordsSuffix)"
            case .timedOut: reason = "it did not say hello within \(Int(helloTimeout)) s"
            case .malformed(let detail): reason = "it is not a Trenza worker (\(detail))"
            case .system(let detail): reason = detail
            }
            throw WorkerStartError("\(launch.executable) did not start as a worker: \(reason)")
        }
        if let setupFailure {
            worker.stop(grace: 1)
            throw WorkerStartError("the worker setup failed: \(setupFailure)", isSetupFailure: true)
        }
        return worker
    }

    /// Sends request frames in one write.
    func send(_ bytes: [UInt8]) throws(WireError) {
        try writeAll(requestFD, bytes)
    }

    /// What ended a wait for the worker.
    enum Event {
        case frame(Wire.Kind, [UInt8])
        /// Something was written to the wake descriptor.
        case woken
    }

    /// Waits for the worker's next reply frame, relaying its stderr meanwhile; returns early
    /// when `wakeFD` becomes readable. Throws when the worker ends, sends garbage, or `deadline`
    /// (monotonic seconds) passes.
    func next(wakeFD: Int32?, deadline: Double?) throws(WireError) -> Event {
        while true {
            if let frame = try reader.bufferedFrame(magic: Wire.replyMagic) { return .frame(frame.0, frame.1) }
            var descriptors = [pollfd(fd: reader.fd, events: Int16(POLLIN), revents: 0)]
            if stderrFD >= 0 { descriptors.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
            if let wakeFD { descriptors.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)) }
            var timeout: Int32 = -1
            if let deadline {
                let remaining = deadline - monotonicSeconds()
                if remaining <= 0 { throw .timedOut }
                timeout = Int32(min(remaining * 1000 + 1, Double(Int32.max)))
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                throw .system("poll failed: \(Errno(rawValue: errno))")
            }
            if ready == 0 { continue }
            if stderrFD >= 0, descriptors[1].revents != 0 { relayStderr() }
            if descriptors[0].revents != 0 {
                try reader.readAvailable()
                continue
            }
            if let wakeFD, descriptors.last!.revents != 0, descriptors.last!.fd == wakeFD { return .woken }
        }
    }

    private func readFrame(deadline: Double?) throws(WireError) -> (Wire.Kind, [UInt8]) {
        while true {
            if case .frame(let kind, let payload) = try next(wakeFD: nil, deadline: deadline) { return (kind, payload) }
        }
    }

    /// Copies what the worker wrote to stderr to ours, whole lines at a time, and keeps its tail.
    /// A runtime stack trace after a fatal error becomes one line: the error itself says what
    /// happened, and a page of addresses per crashed worker would bury it.
    private func relayStderr() {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while stderrFD >= 0 {
            let got: Int
            do {
                got = try buffer.withUnsafeMutableBytes { try FileDescriptor(rawValue: stderrFD).read(into: $0) }
            } catch Errno.wouldBlock {
                return
            } catch {
                got = 0
            }
            if got > 0 {
                stderrTail.append(buffer[..<got])
                relay.feed(buffer[..<got])
                continue
            }
            // The end of the worker's stderr, or a pipe that cannot be read any more.
            close(stderrFD)
            stderrFD = -1
            relay.flush()
        }
    }

    private var relay = StderrRelay()

    /// `; its last words: "…"`, or nothing when the worker said nothing on stderr.
    var lastWordsSuffix: String {
        relayStderr()
        guard let words = stderrTail.summary else { return "" }
        return "; its last words: \"\(words)\""
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
                let reason = LiveWorkers.isClosed ? "was stopped: this process is shutting down" : "vanished (\(Errno(rawValue: errno)))"
                markReaped()
                return reason
            }
        }
        markReaped()
        return ChildProcess.describe(waitStatus: status)
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
            usleep(1_000)
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
}
