import CTrenzaSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The worker side of a ``ProcessPool``.
///
/// A worker process is the program itself, started again with a marker in its environment.
/// Trenza serves jobs in such a process **before `main` runs** (from a constructor in its C
/// support library), so a worker never runs the host program's own code: a library can use
/// worker processes inside any program, and no program can forget a hook. Jobs and their values
/// arrive from the pool by type name and encoding (see ``Job``), so no registry is needed either.
///
/// ``serveIfRequested(_:)`` remains for programs written against earlier versions; it returns
/// at once, since a worker never reaches it.
public enum Worker {
    /// Set by the pool in a worker's environment; its value is the parent's process id.
    public static let environmentKey = TRENZA_WORKER_ENVIRONMENT_KEY

    /// True in a process that a ``ProcessPool`` started: such a process never starts a pool of
    /// its own, so that no job (and no program) can make workers multiply.
    public static var isWorkerProcess: Bool { WorkerMode.isWorker }

    /// Returns at once: a worker process serves its jobs before `main` runs, so it never gets here.
    @available(*, deprecated, message: "no longer needed: worker processes serve jobs before main runs")
    public static func serveIfRequested(_ registry: JobRegistry) {}

    /// Serves jobs on stdin/stdout until stdin closes, then exits; `parent` is the process whose
    /// disappearance ends the worker even in the middle of a job.
    package static func serve(parent: Int32) -> Never {
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
        var jobs = WorkerJobTable()
        let reader = FrameReader(fd: requestFD)
        while true {
            let frame: (Wire.Kind, [UInt8])
            do {
                frame = try reader.readFrame(magic: Wire.requestMagic)
            } catch .endOfStream {
                exit(0)
            } catch {
                fail("\(error)")
            }
            let reply: [UInt8]?
            do {
                reply = try jobs.handle(frame.0, frame.1)
            } catch {
                fail("bad request: \(error)")
            }
            guard let reply else { continue }
            do {
                try writeAll(replyFD, reply)
            } catch {
                exit(0)
            }
        }
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("trenza worker \(getpid()): \(message); exiting\n".utf8))
        exit(70)
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

/// Whether this process is a worker, decided once before `main` and never changed.
enum WorkerMode {
    nonisolated(unsafe) static var isWorker = false
}

/// Entered from the C constructor when the environment marks this process as a worker.
@_cdecl("trenza_worker_entry")
package func trenzaWorkerEntry() {
    guard let value = getenv(Worker.environmentKey), let parent = Int32(String(cString: value)) else { return }
    WorkerMode.isWorker = true
    // Programs this worker's jobs start are not workers: they must run their own `main`.
    unsetenv(Worker.environmentKey)
    Worker.serve(parent: parent)
}
