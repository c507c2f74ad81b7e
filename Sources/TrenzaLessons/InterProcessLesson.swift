import Foundation
import Synchronization
import Trenza

#if canImport(Glibc)
import Glibc
#endif

/// §3.2: processes share no memory, so they talk: a queue with a sentinel, a two-way pipe,
/// counters in shared memory, and a dictionary owned by a manager process.
struct InterProcessLesson: Lesson {
    let slug = "ipc"
    let section = "3.2"
    let title = "Communication between processes"

    func run(_ context: LessonContext) async throws -> [Check] {
        var checks: [Check] = []
        checks.append(contentsOf: try queueWithSentinel(context))
        checks.append(try twoWayPipe(context))
        checks.append(contentsOf: try sharedMemory(context))
        checks.append(try manager(context))
        return checks
    }

    private func helper(_ context: LessonContext, role: String, arguments: [String] = [], redirect: [Int32: Int32] = [:]) throws -> pid_t {
        try ChildProcess.spawn(
            executable: context.executable, arguments: arguments,
            environment: [LessonHelpers.environmentKey: role, "TRENZA_TIME_SCALE": String(context.timeScale)],
            redirect: redirect)
    }

    /// Producer → queue → consumer; the consumer stops at the `None` sentinel.
    private func queueWithSentinel(_ context: LessonContext) throws -> [Check] {
        let queue = try ChildProcess.pipe()
        let producerLog = try ChildProcess.pipe()
        let consumerLog = try ChildProcess.pipe()
        let producer = try helper(context, role: "producer", redirect: [STDOUT_FILENO: queue.write, STDERR_FILENO: producerLog.write])
        let consumer = try helper(context, role: "consumer", redirect: [STDIN_FILENO: queue.read, STDOUT_FILENO: consumerLog.write])
        // Only the two processes hold the queue now: the consumer sees end-of-stream if the producer dies.
        for fd in [queue.read, queue.write, producerLog.write, consumerLog.write] { close(fd) }

        let received = Mutex<[String]>([])
        let readers = [(producerLog.read, false), (consumerLog.read, true)].map { fd, isConsumer in
            JoinableThread(name: isConsumer ? "consumer-log" : "producer-log") {
                let lines = LineReader(fd: fd)
                while let line = lines.next() {
                    context.say(line)
                    if isConsumer { received.withLock { $0.append(line) } }
                }
                close(fd)
            }
        }
        let producerStatus = ChildProcess.wait(producer)
        let consumerStatus = ChildProcess.wait(consumer)
        readers.forEach { $0.join() }
        let lines = received.withLock { $0 }
        let expected = (0..<5).map { "Consumer: received Mensaje \($0)" }
        return [
            Check("Queue: the consumer got the 5 messages in order", lines == expected, observed: "\(lines.count) messages"),
            Check("Queue: both processes ended cleanly at the None sentinel",
                  producerStatus == 0 && consumerStatus == 0,
                  observed: "producer \(ChildProcess.describe(waitStatus: producerStatus)), consumer \(ChildProcess.describe(waitStatus: consumerStatus))"),
        ]
    }

    /// Pipe: one socket pair, both directions, a question and an answer each way.
    private func twoWayPipe(_ context: LessonContext) throws -> Check {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw JobError("socketpair: \(String(cString: strerror(errno)))")
        }
        let child = try helper(context, role: "squarer", redirect: [STDIN_FILENO: ends[1], STDOUT_FILENO: ends[1]])
        close(ends[1])
        let replies = LineReader(fd: ends[0])
        var answers: [Int] = []
        for number in [3, 7, 12] {
            writeLine(ends[0], "\(number)")
            let answer = Int(replies.next() ?? "") ?? -1
            context.say("Pipe: parent sent \(number), child answered \(answer)")
            answers.append(answer)
        }
        writeLine(ends[0], "close")
        let status = ChildProcess.wait(child)
        close(ends[0])
        return Check("Pipe: the child answered each number with its square over the same pipe",
                     answers == [9, 49, 144] && status == 0, observed: "\(answers), child \(ChildProcess.describe(waitStatus: status))")
    }

    /// Value and Array: four processes add to one shared counter and array with atomic operations.
    private func sharedMemory(_ context: LessonContext) throws -> [Check] {
        let adders = 4, iterations = 100_000, length = 4
        let path = NSTemporaryDirectory() + "trenza-shared-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        guard let memory = SharedMemory(path: path, slots: 1 + length) else {
            throw JobError("cannot map shared memory at \(path)")
        }
        let start = monotonicSeconds()
        let children = try (0..<adders).map { number in
            try helper(context, role: "shared-memory-adder", arguments: [path, "\(number)", "\(iterations)", "\(length)"])
        }
        let statuses = children.map { ChildProcess.wait($0) }
        let elapsed = monotonicSeconds() - start
        let counter = memory.load(0)
        let array = (0..<length).map { memory.load(1 + $0) }
        // Adder n adds n+1 to every slot iterations/length times.
        let perSlot = Int64((1...adders).reduce(0, +) * iterations / length)
        context.say("Value: \(adders) processes × \(iterations) atomic increments → counter \(counter) (\(String(format: "%.0f", elapsed * 1000)) ms)")
        context.say("Array: \(array) (each should be \(perSlot))")
        return [
            Check("Value: the shared counter reached exactly \(adders * iterations)",
                  counter == Int64(adders * iterations) && statuses.allSatisfy { $0 == 0 }, observed: "\(counter)"),
            Check("Array: every shared slot holds exactly \(perSlot)", array == Array(repeating: perSlot, count: length),
                  observed: "\(array)"),
        ]
    }

    /// Manager: a dictionary owned by one process; three others update it by messages.
    private func manager(_ context: LessonContext) throws -> Check {
        let socketPath = NSTemporaryDirectory() + "trenza-manager-\(getpid())-\(UInt16.random(in: 0...UInt16.max)).sock"
        let ready = try ChildProcess.pipe()
        let manager = try helper(context, role: "manager", arguments: [socketPath], redirect: [STDOUT_FILENO: ready.write])
        close(ready.write)
        let announcement = LineReader(fd: ready.read).next()
        close(ready.read)
        guard announcement == "ready" else {
            kill(manager, SIGKILL)
            let status = ChildProcess.wait(manager)
            throw JobError("the manager process did not start (it \(ChildProcess.describe(waitStatus: status)))")
        }
        defer { unlink(socketPath) }
        let times = 50
        let clients = try (1...3).map { amount in
            try helper(context, role: "manager-client", arguments: [socketPath, "\(amount)", "\(times)", "apples", "pears"])
        }
        let clientStatuses = clients.map { ChildProcess.wait($0) }

        let connection = try UnixSocket.connect(path: socketPath)
        let replies = LineReader(fd: connection)
        writeLine(connection, "dump")
        let dump = replies.next() ?? ""
        writeLine(connection, "quit")
        _ = replies.next()
        close(connection)
        let managerStatus = ChildProcess.wait(manager)
        let expected = (1...3).reduce(0, +) * times
        context.say("Manager: 3 client processes × \(times) updates each → {\(dump)}")
        return Check("Manager: the owner's dictionary holds every update from every client",
                     dump == "apples=\(expected) pears=\(expected)" && clientStatuses.allSatisfy { $0 == 0 } && managerStatus == 0,
                     observed: "{\(dump)}, manager \(ChildProcess.describe(waitStatus: managerStatus))")
    }
}
