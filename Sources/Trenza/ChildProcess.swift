import CTrenzaSystem
import Foundation
internal import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Starting and reaping child processes with exact control over their file descriptors.
package enum ChildProcess {
    /// Starts `executable` with `arguments`, this process's environment plus `environment`, and
    /// the descriptors in `redirect` (child fd ← our fd) in place of its own. Every other
    /// descriptor of ours is close-on-exec, so the child holds only what it was given.
    package static func spawn(
        executable: String, arguments: [String],
        environment extra: [String: String] = [:],
        redirect: [Int32: Int32] = [:]
    ) throws(WorkerStartError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in redirect.sorted(by: { $0.key < $1.key }) {
            posix_spawn_file_actions_adddup2(&actions, source, target)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Our process may ignore SIGPIPE or SIGINT; children start with default dispositions and
        // an empty signal mask whichever thread spawns them.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var environment = ProcessInfo.processInfo.environment
        environment.merge(extra) { _, new in new }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw .init("cannot start \(executable): \(Errno(rawValue: status))", isLimit: isLimit(status))
        }
        return pid
    }

    /// Errors by which the system refuses one more process, thread or descriptor.
    package static func isLimit(_ error: Int32) -> Bool {
        [EAGAIN, EMFILE, ENFILE, ENOMEM].contains(error)
    }

    /// Waits for `pid` to end and returns its raw wait status.
    package static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return status
    }

    /// A pipe whose ends are close-on-exec from birth.
    package static func pipe() throws(WorkerStartError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard trenza_pipe_cloexec(&fds) == 0 else {
            let error = errno
            throw .init("cannot create a pipe: \(Errno(rawValue: error))", isLimit: isLimit(error))
        }
        return (fds[0], fds[1])
    }

    /// Reads the `waitpid` status the way a user wants to see it: "exited with status 3",
    /// "was killed by signal 6 (SIGABRT)".
    package static func describe(waitStatus status: Int32) -> String {
        let signal = status & 0x7F
        if signal == 0 { return "exited with status \((status >> 8) & 0xFF)" }
        return "was killed by signal \(signal) (\(signalName(signal)))"
    }

    package static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV",
            SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}
