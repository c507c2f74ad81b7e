import Foundation
import Synchronization
import Trenza

#if canImport(Glibc)
import Glibc
#endif

/// Resident memory of this process and its direct children (worker processes) while a batch runs.
///
/// A thread reads /proc every few milliseconds and keeps the highest total. Linux's own high-water
/// mark for this process (`VmHWM`, reset through /proc/self/clear_refs at the start) catches a
/// peak between two samples; children have no such mark that can be reset, so they are sampled.
/// Kernel memory (thread structures, page tables) is not resident memory and is not counted.
///
/// Resident memory misses growth that reuses pages an earlier batch freed, so the allocator's
/// bytes in use (this process only) are sampled too; a batch's cost is the larger of the two.
package final class MemorySampler: Sendable {
    /// Resident bytes: what the batch found, and the most it used.
    package struct Figures: Sendable, Equatable {
        package var baselineBytes: Int
        package var peakBytes: Int
        /// The most this process's heap in use grew above its level at the start.
        package var heapGrowthBytes: Int
        /// OS threads of this process at the start and the most sampled meanwhile: whether
        /// pending work costs threads.
        package var baselineThreads = 0
        package var peakThreads = 0
    }

    private let includeChildren: Bool
    private let interval: Double
    private let peak = Mutex(0)
    private let peakHeap = Mutex(0)
    private let peakThreads = Mutex(0)
    private let baselineThreads: Int
    private let baselineHeap: Int
    private let stopping = Atomic(false)
    private let stopped = Atomic(false)
    private let baseline: Int

    /// Starts sampling; `includeChildren` scans /proc for this process's children too, which
    /// costs more, so it samples less often: the sampler must not compete with what it measures.
    ///
    /// `releaseFreeMemory` first hands the allocator's free pages back to the kernel. Without it,
    /// a batch that reuses memory an earlier batch freed (and the heap keeps, see
    /// `MemoryTuning.keepLargeBuffers`) shows no growth at all; with it, growth is what the batch
    /// itself needs. It costs page faults afterwards, so it is for memory figures, not for timing
    /// work whose speed depends on a warm heap.
    package init(includeChildren: Bool, releaseFreeMemory: Bool = false) {
        self.includeChildren = includeChildren
        self.interval = includeChildren ? 0.02 : 0.005
        if releaseFreeMemory { MemoryTuning.releaseFreeMemory() }
        Self.resetHighWaterMark()
        let start = Self.residentBytes(ofProcess: "self") + (includeChildren ? Self.childrenResidentBytes() : 0)
        let heap = MemoryTuning.heapBytesInUse
        let threads = Self.threadCount()
        baseline = start
        baselineHeap = heap
        baselineThreads = threads
        peak.withLock { $0 = start }
        peakHeap.withLock { $0 = heap }
        peakThreads.withLock { $0 = threads }
        let thread = Thread { [self] in
            while !stopping.load(ordering: .acquiring) {
                record()
                Thread.sleep(forTimeInterval: interval)
            }
            stopped.store(true, ordering: .releasing)
        }
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Stops sampling and returns the figures.
    package func stop() -> Figures {
        record()
        stopping.store(true, ordering: .releasing)
        while !stopped.load(ordering: .acquiring) { Thread.sleep(forTimeInterval: 0.001) }
        let highWater = Self.highWaterMarkBytes() ?? 0
        let sampled = peak.withLock { $0 }
        let heap = peakHeap.withLock { $0 }
        // The sampler's own thread is not the batch's: it is left out of both counts.
        return Figures(baselineBytes: baseline, peakBytes: max(sampled, highWater), heapGrowthBytes: max(0, heap - baselineHeap),
                       baselineThreads: baselineThreads, peakThreads: max(baselineThreads, peakThreads.withLock { $0 } - 1))
    }

    private func record() {
        let total = Self.residentBytes(ofProcess: "self") + (includeChildren ? Self.childrenResidentBytes() : 0)
        peak.withLock { $0 = max($0, total) }
        let heap = MemoryTuning.heapBytesInUse
        peakHeap.withLock { $0 = max($0, heap) }
        let threads = Self.threadCount()
        peakThreads.withLock { $0 = max($0, threads) }
    }

    /// This process's OS threads, from the `Threads:` line of /proc/self/status.
    static func threadCount() -> Int {
        guard let text = readSmallFile("/proc/self/status") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("Threads:") {
            return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }

    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Resident bytes of `/proc/<process>` from `statm` (second field, in pages); 0 if it is gone.
    static func residentBytes(ofProcess process: String) -> Int {
        guard let text = readSmallFile("/proc/\(process)/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * pageSize
    }

    /// Resident bytes of every direct child, found by their parent id in /proc/<pid>/stat
    /// (/proc/self/task/*/children needs a kernel option this machine may not have).
    static func childrenResidentBytes() -> Int {
        let me = getpid()
        guard let directory = opendir("/proc") else { return 0 }
        defer { closedir(directory) }
        var total = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            guard let first = name.utf8.first, first >= UInt8(ascii: "1"), first <= UInt8(ascii: "9"),
                  let stat = readSmallFile("/proc/\(name)/stat"),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ", maxSplits: 3)
            guard fields.count > 2, Int32(fields[1]) == me else { continue }
            total += residentBytes(ofProcess: name)
        }
        return total
    }

    /// Sets this process's VmHWM back to its current resident size (Linux 4.0 and later).
    private static func resetHighWaterMark() {
        let fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = write(fd, "5", 1)
        close(fd)
    }

    private static func highWaterMarkBytes() -> Int? {
        guard let text = readSmallFile("/proc/self/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }

    /// Reads a /proc file in one go: Foundation's readers stat the file first, and /proc files
    /// report a size of zero.
    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var length = 0
        while length < buffer.count {
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + length, $0.count - length) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            length += got
        }
        return String(decoding: buffer[..<length], as: UTF8.self)
    }
}
