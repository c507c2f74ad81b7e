import ArgumentParser
import Foundation
import Trenza
import TrenzaLessons

@main
enum Entry {
    static func main() async {
        MemoryTuning.keepLargeBuffers()
        // A lesson's helper process serves its role and never returns. (A worker process of a
        // pool never gets here: Trenza serves its jobs before `main` runs.)
        Tour.runHelperIfRequested()

        do {
            var command = try TrenzaCommand.parseAsRoot()
            if command is ServeCommand || (command as? WorkerCommand)?.servesQueue == true {
                // The server shuts down gracefully on SIGINT and SIGTERM (ServiceLifecycle), and a
                // cluster worker hands its chunks back first: the pool's handler, which ends the
                // process at once, must not be there to race them.
                ServeCommand.unblockInterrupts()
            } else {
                ProcessPool.installInterruptHandler()
                // Where the system refuses the concurrency runtime its threads, this first hop
                // never returns, and the handler's thread ends the program with the reason.
                ProcessPool.watchForRuntimeThreads()
                await Task.detached {}.value
                ProcessPool.runtimeThreadsArrived()
            }
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            ProcessPool.yieldToPendingInterrupt()
        } catch {
            ProcessPool.yieldToPendingInterrupt()
            // Bad usage exits 2, as the shell's own builtins do (ArgumentParser's default is 64).
            if TrenzaCommand.exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((TrenzaCommand.fullMessage(for: error) + "\n").utf8))
                exit(2)
            }
            TrenzaCommand.exit(withError: error)
        }
    }
}
