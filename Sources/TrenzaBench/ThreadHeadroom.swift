import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How many more threads this process may start before the kernel refuses: a thread per waiter at
/// 10,000 waiters is fine on a workstation and over the limit in many containers, where a
/// refused thread would end the whole run instead of one measurement.
enum ThreadHeadroom {
    /// The smallest of the per-user limit (`ulimit -u`), the system's `threads-max` and the
    /// cgroup's `pids.max`, each less what is already running; `nil` when none applies.
    static func available() -> Int? {
        let tasks = runningTasks()
        var limits: [Int] = []
        var limit = rlimit()
        // RLIM_INFINITY (all bits set) does not import into Swift: rlim_t.max is the same value.
        if getrlimit(__rlimit_resource_t(__RLIMIT_NPROC.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
            limits.append(Int(clamping: limit.rlim_cur) - tasks.ofUser)
        }
        if let threadsMax = number(in: "/proc/sys/kernel/threads-max") {
            limits.append(threadsMax - tasks.all)
        }
        if let pidsMax = number(in: "/sys/fs/cgroup/pids.max"), let pidsCurrent = number(in: "/sys/fs/cgroup/pids.current") {
            limits.append(pidsMax - pidsCurrent)
        }
        return limits.min()
    }

    /// Threads of every process, and of this user's processes, from /proc/<pid>/status.
    private static func runningTasks() -> (all: Int, ofUser: Int) {
        let user = getuid()
        var all = 0, ofUser = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(name) != nil {
            guard let status = try? String(contentsOfFile: "/proc/\(name)/status", encoding: .utf8) else { continue }
            var threads = 0, uid: UInt32?
            for line in status.split(separator: "\n") {
                if line.hasPrefix("Threads:") { threads = Int(line.dropFirst(8).trimmingCharacters(in: .whitespaces)) ?? 0 }
                if line.hasPrefix("Uid:") { uid = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { UInt32($0) } }
            }
            all += threads
            if uid == user { ofUser += threads }
        }
        return (all, ofUser)
    }

    /// The integer in a one-line file such as /proc/sys/kernel/threads-max; `nil` for "max" or no file.
    private static func number(in path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
