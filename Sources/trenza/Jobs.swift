import Trenza
import TrenzaImaging
import TrenzaLessons

/// Every job a `trenza worker` process can run.
enum Jobs {
    static var all: JobRegistry {
        var registry = JobRegistry.builtIn
        registry.merge(Tour.jobs)
        registry.register(ImageJob())
        return registry
    }
}
