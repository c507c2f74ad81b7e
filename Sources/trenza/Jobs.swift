import Trenza
import TrenzaFetch
import TrenzaImaging
import TrenzaLessons

/// Every job a `trenza worker` process can run.
enum Jobs {
    static var all: JobRegistry {
        var registry = JobRegistry.builtIn
        registry.merge(Tour.jobs)
        registry.register(ImageJob())
        // Each worker process gets its own HTTP clients, made on its first download, and one
        // thread for its flushes: it downloads one item at a time.
        registry.register(FetchJob(clients: FetchClients(blockingThreads: 1)))
        // A chunk runs many downloads at once, and their flushes wait on the disk together.
        registry.register(FetchChunkJob(clients: FetchClients()))
        return registry
    }
}
