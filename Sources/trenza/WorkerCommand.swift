import ArgumentParser
import Foundation
import Trenza

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "(internal) Serve jobs on stdin/stdout for a process pool.",
        discussion: """
            A process pool starts its workers itself (they serve jobs before `main` runs); there is no need to run this
            by hand. It reads length-prefixed job frames on stdin, writes results on stdout, and exits
            when stdin closes or the process that started it goes away.
            """
    )

    func run() throws {
        guard isatty(STDIN_FILENO) == 0 else {
            throw ValidationError("trenza worker speaks a binary protocol on stdin/stdout for a process pool; it is not for use at a terminal.")
        }
        Worker.serve(parent: getppid())
    }
}
