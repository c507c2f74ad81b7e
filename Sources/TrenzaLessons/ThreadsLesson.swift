import Foundation
import Trenza

/// §2.1: two threads that sleep 2 s and 3 s finish together in about 3 s, not 5 s.
struct ThreadsLesson: Lesson {
    let slug = "threads"
    let section = "2.1"
    let title = "Two threads wait at the same time"

    func run(_ context: LessonContext) async throws -> [Check] {
        let start = monotonicSeconds()
        let tasks: [(name: String, seconds: Double)] = [("A", 2), ("B", 3)]
        let threads = tasks.map { task in
            JoinableThread(name: "hilo-\(task.name)") {
                context.say("Task \(task.name) started.")
                context.sleep(task.seconds)
                context.say("Task \(task.name) finished after \(Int(task.seconds)) seconds.")
            }
        }
        threads.forEach { $0.join() }
        let elapsed = monotonicSeconds() - start
        context.say("Total time: \(context.describe(elapsed))")

        let longest = context.scaled(3), sum = context.scaled(5)
        // Halfway between "overlapped" (3 s) and "one after the other" (5 s).
        let limit = (longest + sum) / 2
        return [
            Check("both sleeps really happened (at least 3 s)", elapsed >= longest * 0.98,
                  observed: context.describe(elapsed)),
            Check("the threads waited at the same time: about 3 s, not 5 s", elapsed < limit,
                  observed: "\(context.describe(elapsed)) against a limit of \(context.describe(limit))"),
        ]
    }
}
