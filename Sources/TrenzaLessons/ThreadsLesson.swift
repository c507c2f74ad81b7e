import Foundation
import Synchronization
import Trenza

/// §2.1: two threads that sleep 2 s and 3 s finish together in about 3 s, not 5 s.
struct ThreadsLesson: Lesson {
    let slug = "threads"
    let section = "2.1"
    let title = "Two threads wait at the same time"

    func run(_ context: LessonContext) async throws -> [Check] {
        let start = monotonicSeconds()
        let tasks: [(name: String, seconds: Double)] = [("A", 2), ("B", 3)]
        let durations = Durations()
        let threads = tasks.map { task in
            JoinableThread(name: "hilo-\(task.name)") {
                context.say("Task \(task.name) started.")
                let taskStart = monotonicSeconds()
                context.sleep(task.seconds)
                durations.add(monotonicSeconds() - taskStart)
                context.say("Task \(task.name) finished after \(Int(task.seconds)) seconds.")
            }
        }
        threads.forEach { $0.join() }
        let elapsed = monotonicSeconds() - start
        context.say("Total time: \(context.describe(elapsed))")

        let longest = context.scaled(3)
        // One after the other, the two waits would take their sum; measured rather than assumed,
        // so a loaded machine that stretches every sleep stretches the yardstick too.
        let sequential = durations.sum
        return [
            Check("both sleeps really happened (at least 3 s)", elapsed >= longest * 0.98,
                  observed: context.describe(elapsed)),
            Check("the threads waited at the same time: about 3 s, not 5 s", elapsed < 0.85 * sequential,
                  observed: "\(context.describe(elapsed)) against \(context.describe(sequential)) one after the other"),
        ]
    }
}

/// Durations measured by concurrent threads or tasks.
final class Durations: Sendable {
    private let values = Mutex<[Double]>([])
    func add(_ seconds: Double) { values.withLock { $0.append(seconds) } }
    var sum: Double { values.withLock { $0.reduce(0, +) } }
}
