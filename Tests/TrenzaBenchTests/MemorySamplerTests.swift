import Foundation
import Testing
@testable import TrenzaBench

@Suite("Memory sampling")
struct MemorySamplerTests {
    @Test("a batch that touches 64 MiB shows at least that much growth, resident and on the heap")
    func growthIsSeen() {
        let size = 64 << 20
        let sampler = MemorySampler(includeChildren: false, releaseFreeMemory: true)
        var buffer = [UInt8](repeating: 0, count: size)
        // Touch every page, so that the memory is resident and not just reserved.
        for page in stride(from: 0, to: size, by: 4096) { buffer[page] = UInt8(truncatingIfNeeded: page >> 12) }
        let figures = sampler.stop()
        #expect(buffer[4096] == 1)
        #expect(figures.peakBytes - figures.baselineBytes >= size * 9 / 10)
        // Other tests' threads free memory meanwhile (a few KiB were seen): a page's worth of slack.
        #expect(figures.heapGrowthBytes >= size - 64 << 10)
        #expect(figures.baselineBytes > 0)
    }

    @Test("reading /proc: this process is resident, a process that is gone is 0")
    func residentBytes() {
        #expect(MemorySampler.residentBytes(ofProcess: "self") > 1 << 20)
        #expect(MemorySampler.residentBytes(ofProcess: "999999999") == 0)
    }

    @Test("the memory per item is the larger of resident and heap growth")
    func perItem() {
        var row = BenchRow(engine: .async, width: 10, items: 10, seconds: 1, baselineMemoryBytes: 1_000, peakMemoryBytes: 1_000, heapGrowthBytes: 5_000)
        #expect(row.memoryPerItemBytes == 500)
        row.peakMemoryBytes = 101_000
        #expect(row.memoryPerItemBytes == 10_000)
        row.heapGrowthBytes = nil
        row.peakMemoryBytes = 500
        #expect(row.memoryPerItemBytes == 0)
    }
}
