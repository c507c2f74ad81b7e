import ArgumentParser

struct TrenzaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trenza",
        abstract: "Threads, worker processes and async tasks behind one API, and the programs that show when each wins.",
        discussion: """
            Every command runs its work on one of three engines, chosen with --engine:
              threads     a fixed pool of OS threads (Swift has no GIL: CPU work runs in parallel)
              processes   a pool of worker processes (this binary, re-run as `trenza worker`);
                          a crash or hang costs one item, never the batch
              async       Swift structured concurrency, at most -j child tasks in flight
              cluster     `trenza worker --queue URL` processes on any number of machines, sharing
                          a PostgreSQL queue (--queue or TRENZA_QUEUE); `trenza runs` shows the runs

            Exit status: 0 when every item succeeded, 1 when some failed (each is named), 2 on bad usage.
            """,
        subcommands: [TourCommand.self, ImagesCommand.self, FetchCommand.self, BenchCommand.self, ServeCommand.self, WorkerCommand.self, RunsCommand.self, ProbeCommand.self]
    )
}
