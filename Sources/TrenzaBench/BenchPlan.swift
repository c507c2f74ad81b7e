import Foundation
import Trenza
import TrenzaCluster
import TrenzaImaging

/// The workloads `trenza bench` can run; each yields one or more report sections.
public enum BenchWorkload: String, CaseIterable, Sendable, Codable {
    /// Start-up of each engine and the dispatch cost of tiny items.
    case overhead
    /// Tiny items through a Pool with default settings: `map`, a generated `stream`, `submit`
    /// from many tasks.
    case dispatch
    /// The tutorial's `tarea_intensiva` (§3.1).
    case cpu
    /// The image filter batch (§9.2) on generated photographs.
    case images
    /// Downloading photos from an in-process server with added latency (§5.1, §9.1).
    case io
    /// 100 to 10,000 concurrent waits: a thread per waiter, a task per waiter, capped processes.
    case concurrency
}

/// What to measure and how much of it: the sizes that make a run quick or thorough.
public struct BenchPlan: Sendable, Equatable {
    public var mode: String
    public var workloads: [BenchWorkload]
    /// Widths every width-swept workload runs at.
    public var widths: [Int]
    /// Width of the start-up measurement: the number of cores, as a pool would be sized.
    public var startupWidth: Int

    /// Tiny items per dispatch measurement.
    public var dispatchItems: Int
    /// Items per message in the chunked processes measurement.
    public var chunkSize: Int
    /// Generated inputs of the largest stream; a stream a tenth that size runs too, to show
    /// whether memory grows with the count.
    public var streamItems: Int
    /// Single-item submits, and the concurrent tasks they come from.
    public var submitItems: Int
    public var submitTasks: Int

    /// The tutorial's inputs to `tarea_intensiva`.
    public var cpuNumbers: [Int]
    /// Loop steps per task (the tutorial uses 10,000,000, a few milliseconds in Swift).
    public var cpuSteps: Int
    /// Runs per CPU-bound figure; the best is kept, being the least disturbed by other load.
    public var repeats: Int

    public var imageCount: Int
    public var imageWidth: Int
    public var imageHeight: Int
    public var imageFilters: [ImageFilter]

    /// Photos downloaded per batch, their width (height is three quarters of it), the server's
    /// added latency per response, and the widths the downloads run at.
    public var downloadCount: Int
    public var downloadImageSide: Int
    public var downloadLatencyMilliseconds: Int
    public var downloadWidths: [Int]

    /// Concurrent waiter counts.
    public var waiterCounts: [Int]
    /// The counts at which processes are measured too: one round per `processCap` waiters makes
    /// large counts slow, and a quick run leaves them out (its notes say so).
    public var processWaiterCounts: [Int]
    public var waitMilliseconds: Int
    /// The most worker processes the concurrency workload starts.
    public var processCap: Int

    /// The program worker processes run; `nil` re-runs this executable.
    public var workerExecutable: String?

    /// A PostgreSQL queue: the cluster engine runs the dispatch, image and download batches too.
    public var queue: QueueURL?

    /// Widths 1, the core count and twice the core count: below, at and beyond the machine.
    public static func defaultWidths(cores: Int) -> [Int] {
        Array(Set([1, max(1, cores), max(1, cores) * 2])).sorted()
    }

    /// Under a minute on two cores (release build): about 15 s when the machine is otherwise idle,
    /// 35 s when other programs keep both cores busy. One run per figure: the price of that is noise.
    public static func quick(cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> BenchPlan {
        BenchPlan(mode: "quick", workloads: BenchWorkload.allCases, widths: defaultWidths(cores: cores), startupWidth: max(1, cores),
                  dispatchItems: 20_000, chunkSize: 1_000, streamItems: 1_000_000, submitItems: 20_000, submitTasks: 2_000,
                  cpuNumbers: [1, 2, 3, 4], cpuSteps: 200_000_000, repeats: 1,
                  imageCount: 16, imageWidth: 1920, imageHeight: 1080, imageFilters: standardFilters,
                  downloadCount: 48, downloadImageSide: 640, downloadLatencyMilliseconds: 50, downloadWidths: [4, 16, 32],
                  waiterCounts: [100, 1_000, 10_000], processWaiterCounts: [100, 1_000], waitMilliseconds: 50, processCap: 32)
    }

    /// A few minutes on two cores: larger batches, best of three, processes at every count.
    public static func full(cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> BenchPlan {
        BenchPlan(mode: "full", workloads: BenchWorkload.allCases, widths: defaultWidths(cores: cores), startupWidth: max(1, cores),
                  dispatchItems: 200_000, chunkSize: 10_000, streamItems: 10_000_000, submitItems: 100_000, submitTasks: 2_000,
                  cpuNumbers: [1, 2, 3, 4], cpuSteps: 800_000_000, repeats: 3,
                  imageCount: 48, imageWidth: 1920, imageHeight: 1080, imageFilters: standardFilters,
                  downloadCount: 128, downloadImageSide: 800, downloadLatencyMilliseconds: 100, downloadWidths: [4, 16, 32],
                  waiterCounts: [100, 1_000, 10_000], processWaiterCounts: [100, 1_000, 10_000], waitMilliseconds: 100, processCap: 32)
    }

    /// The tutorial's §9.2 pipeline.
    static let standardFilters: [ImageFilter] = [.blur, .contrast(ImageFilter.defaultContrast), .grayscale]

    /// The stream sizes measured: a tenth of ``streamItems`` (when that is at least one) and it.
    public var streamCounts: [Int] {
        streamItems >= 10 ? [streamItems / 10, streamItems] : [streamItems]
    }

    /// How many timed runs the plan makes: the denominator of the progress count.
    public var stepCount: Int {
        let engines = Engine.allCases.count
        let cluster = queue == nil ? 0 : 1
        return workloads.reduce(0) { total, workload in
            switch workload {
            case .overhead: total + engines + widths.count * (engines + 1 + cluster)
            case .cpu: total + 1 + widths.count * engines
            case .images: total + 2 + widths.count * (engines + cluster)
            case .io: total + 2 + downloadWidths.count * (engines + cluster)
            case .concurrency: total + waiterCounts.reduce(0) { $0 + 2 + (processWaiterCounts.contains($1) ? 1 : 0) }
            case .dispatch: total + widths.count * (engines + 1) + engines * streamCounts.count + engines
            }
        }
    }
}
