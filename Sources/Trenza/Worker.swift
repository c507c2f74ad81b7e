import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The worker side of a ``ProcessPool``: Swift's answer to Python's `if __name__ == "__main__"`.
///
/// Call ``serveIfRequested(_:)`` first thing in `main`. In a normal run it returns at once; in a
/// process that a ``ProcessPool`` started, it serves jobs from the registry over stdin/stdout and
/// exits when the pool closes stdin or the parent process disappears.
///
/// ```swift
/// @main struct Tool {
///     static func main() async {
///         var jobs = JobRegistry.builtIn
///         jobs.register(ResizeJob())
///         Worker.serveIfRequested(jobs)
///         // … the program proper …
///     }
/// }
/// ```
public enum Worker {
    /// Set by the pool in a worker's environment; its value is the parent's process id.
    public static let environmentKey = "TRENZA_WORKER_PARENT"

    /// Serves jobs and never returns if this process was started by a ``ProcessPool``; otherwise
    /// returns immediately.
    public static func serveIfRequested(_ registry: JobRegistry) {
        guard let parent = ProcessInfo.processInfo.environment[environmentKey].flatMap(Int32.init) else { return }
        serve(registry, parent: parent)
    }

    /// Serves jobs from `registry` on stdin/stdout until stdin closes, then exits.
    ///
    /// `parent` is the process whose disappearance ends the worker even in the middle of a job,
    /// so that no worker outlives its pool's process.
    public static func serve(_ registry: JobRegistry, parent: Int32) -> Never {
        // Whatever a job prints must not corrupt the protocol: keep a private copy of the reply
        // pipe and point ordinary stdout at stderr.
        let replyFD = dup(STDOUT_FILENO)
        _ = fcntl(replyFD, F_SETFD, FD_CLOEXEC)
        dup2(STDERR_FILENO, STDOUT_FILENO)
        replyChannel = replyFD
        // Likewise a job that reads stdin must not eat requests: it reads /dev/null.
        let requestFD = dup(STDIN_FILENO)
        _ = fcntl(requestFD, F_SETFD, FD_CLOEXEC)
        let nullFD = open("/dev/null", O_RDONLY)
        if nullFD >= 0 {
            dup2(nullFD, STDIN_FILENO)
            close(nullFD)
        }
        // The parent decides what an interrupt means; a dead parent is noticed below.
        signal(SIGINT, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        guard getppid() == parent else { _exit(0) }
        startParentWatchdog(parent: parent)

        do {
            try writeAll(replyFD, Wire.frame(kind: .hello, payload: Array(Wire.protocolVersion.utf8), magic: Wire.replyMagic))
        } catch {
            _exit(0)
        }
        let reader = FrameReader(fd: requestFD)
        while true {
            let frame: (Wire.Kind, [UInt8])
            do {
                frame = try reader.readFrame(magic: Wire.requestMagic)
            } catch .endOfStream {
                exit(0)
            } catch {
                FileHandle.standardError.write(Data("trenza worker \(getpid()): \(error); exiting\n".utf8))
                exit(70)
            }
            let reply = results(of: frame, registry: registry)
            do {
                try writeAll(replyFD, reply)
            } catch {
                exit(0)
            }
        }
    }

    private static func results(of frame: (Wire.Kind, [UInt8]), registry: JobRegistry) -> [UInt8] {
        var reply = Wire.FrameBuilder(reply: ())
        do {
            guard frame.0 == .run else { throw WireError.malformed("expected a run request") }
            var payload = Wire.PayloadReader(frame.1)
            let name = String(decoding: try payload.slice(try payload.uint32()), as: UTF8.self)
            let count = try payload.uint32()
            guard let handler = registry.handler(named: name) else {
                let message = "job \"\(name)\" is not registered in this worker (known: \(registry.names.joined(separator: ", ")))"
                for _ in 0..<count { reply.append(status: .protocolError, bytes: message.utf8) }
                return reply.finish()
            }
            for _ in 0..<count {
                let input = try payload.slice(try payload.uint32())
                do {
                    try reply.append(status: .ok) { output in try handler(input, output) }
                } catch WorkerSideError.protocolError(let message) {
                    reply.append(status: .protocolError, bytes: message.utf8)
                } catch {
                    reply.append(status: .jobError, bytes: describe(error).utf8)
                }
            }
        } catch {
            FileHandle.standardError.write(Data("trenza worker \(getpid()): bad request: \(error)\n".utf8))
            exit(70)
        }
        return reply.finish()
    }

    /// Exits as soon as the parent process is gone (re-parented to init or a subreaper), even
    /// while a job holds the main thread in a C call or an endless loop.
    private static func startParentWatchdog(parent: Int32) {
        let watchdog = Thread {
            ThreadName.set("trenza-watchdog")
            while true {
                usleep(100_000)
                if getppid() != parent { _exit(0) }
            }
        }
        watchdog.start()
    }

    /// The descriptor replies go to; only the diagnostic ``ProbeJob`` writes to it directly.
    nonisolated(unsafe) private static var replyChannel: Int32 = -1

    static func writeGarbageToReplyChannel() {
        let text = Array("this is not a frame\n".utf8)
        _ = try? writeAll(replyChannel, text)
    }
}
