import Foundation
@testable import TrenzaBench

/// A report with fixed, hand-written figures: what the writers are tested on. The advice key is
/// absent on purpose: it is derived on decoding, never read.
enum GoldenReport {
    static let json = """
    {
      "format": 2,
      "mode": "quick",
      "totalSeconds": 41.25,
      "machine": {
        "cores": 2,
        "memoryBytes": 25275731968,
        "operatingSystem": "Debian GNU/Linux 12 (bookworm)",
        "kernel": "Linux 6.1.0 x86_64",
        "cpuModel": "Test CPU @ 2.40GHz",
        "swiftVersion": "6.3.1",
        "buildConfiguration": "release",
        "date": "2026-11-24T21:00:00Z",
        "loadAverage": 0.25
      },
      "sections": [
        {
          "id": "overhead.startup", "workload": "overhead", "title": "Overhead: start-up",
          "summary": "From nothing to the first results.", "nature": "startup", "sweep": "width", "unit": "items",
          "notes": [],
          "rows": [
            {"engine": "threads", "width": 2, "items": 2, "seconds": 0.00412, "baselineMemoryBytes": 30000000, "peakMemoryBytes": 31000000, "failures": 0},
            {"engine": "processes", "width": 2, "items": 2, "seconds": 0.0327, "baselineMemoryBytes": 30000000, "peakMemoryBytes": 52000000, "failures": 0},
            {"engine": "async", "width": 2, "items": 2, "seconds": 0.000131, "baselineMemoryBytes": 30000000, "peakMemoryBytes": 30100000, "failures": 0}
          ]
        },
        {
          "id": "overhead.dispatch", "workload": "overhead", "title": "Overhead: dispatch of tiny items",
          "summary": "Tiny items through warm pools.", "nature": "dispatch", "sweep": "width", "unit": "items",
          "notes": ["Start-up is measured apart."],
          "rows": [
            {"engine": "threads", "width": 1, "items": 20000, "seconds": 0.0119, "failures": 0},
            {"engine": "processes", "width": 1, "items": 20000, "seconds": 0.205, "failures": 0},
            {"engine": "async", "width": 1, "items": 20000, "seconds": 0.0499, "failures": 0},
            {"engine": "processes", "variant": "chunks of 1,000", "width": 1, "items": 20000, "seconds": 0.0421, "failures": 0},
            {"engine": "threads", "width": 2, "items": 20000, "seconds": 0.0219, "failures": 0},
            {"engine": "processes", "width": 2, "items": 20000, "seconds": 0.147, "failures": 0},
            {"engine": "async", "width": 2, "items": 20000, "seconds": 0.0464, "failures": 0},
            {"engine": "processes", "variant": "chunks of 1,000", "width": 2, "items": 20000, "seconds": 0.0425, "failures": 0}
          ]
        },
        {
          "id": "cpu", "workload": "cpu", "title": "CPU-bound: the tutorial's tarea_intensiva (§3.1)",
          "summary": "tarea_intensiva(n) for n in 1, 2, 3, 4.", "nature": "cpu-bound", "sweep": "width", "unit": "tasks",
          "sequentialSeconds": 0.812, "notes": [], "inputBytesPerItem": 19, "outputBytesPerItem": 9,
          "rows": [
            {"engine": "threads", "width": 1, "items": 4, "seconds": 0.815, "baselineMemoryBytes": 31000000, "peakMemoryBytes": 31500000, "failures": 0},
            {"engine": "processes", "width": 1, "items": 4, "seconds": 0.846, "baselineMemoryBytes": 31000000, "peakMemoryBytes": 45000000, "failures": 0, "startupSeconds": 0.0283},
            {"engine": "async", "width": 1, "items": 4, "seconds": 0.818, "baselineMemoryBytes": 31000000, "peakMemoryBytes": 31400000, "failures": 0},
            {"engine": "threads", "width": 2, "items": 4, "seconds": 0.421, "baselineMemoryBytes": 31000000, "peakMemoryBytes": 31600000, "failures": 0},
            {"engine": "processes", "width": 2, "items": 4, "seconds": 0.452, "baselineMemoryBytes": 31000000, "peakMemoryBytes": 60000000, "failures": 0, "startupSeconds": 0.0391},
            {"engine": "async", "width": 2, "items": 4, "seconds": 0.433, "baselineMemoryBytes": 31000000, "peakMemoryBytes": 31500000, "failures": 0}
          ]
        },
        {
          "id": "concurrency", "workload": "concurrency", "title": "I/O-bound: many concurrent waits",
          "summary": "Every waiter sleeps 50 ms.", "nature": "io-bound", "sweep": "items", "unit": "waiters",
          "idealSeconds": 0.05, "notes": ["processes: at most 32 worker processes."],
          "rows": [
            {"engine": "threads", "width": 100, "items": 100, "seconds": 0.0561, "baselineMemoryBytes": 40000000, "peakMemoryBytes": 41200000, "failures": 0},
            {"engine": "processes", "width": 32, "items": 100, "seconds": 0.298, "baselineMemoryBytes": 40000000, "peakMemoryBytes": 610000000, "failures": 0},
            {"engine": "async", "width": 100, "items": 100, "seconds": 0.0512, "baselineMemoryBytes": 40000000, "peakMemoryBytes": 40100000, "failures": 0},
            {"engine": "threads", "width": 1000, "items": 1000, "seconds": 0.0934, "baselineMemoryBytes": 40000000, "peakMemoryBytes": 52000000, "failures": 0},
            {"engine": "processes", "width": 32, "items": 1000, "seconds": 1.71, "baselineMemoryBytes": 40000000, "peakMemoryBytes": 615000000, "failures": 0},
            {"engine": "async", "width": 1000, "items": 1000, "seconds": 0.0547, "baselineMemoryBytes": 40000000, "peakMemoryBytes": 41000000, "failures": 0},
            {"engine": "threads", "width": 10000, "items": 10000, "seconds": 0.611, "baselineMemoryBytes": 40000000, "peakMemoryBytes": 170000000, "failures": 0},
            {"engine": "async", "width": 10000, "items": 10000, "seconds": 0.0733, "baselineMemoryBytes": 40000000, "peakMemoryBytes": 48000000, "failures": 3}
          ]
        },
        {
          "id": "dispatch.submit", "workload": "dispatch", "title": "Single items from many tasks (submit)",
          "summary": "20,000 single items from 2,000 tasks.", "nature": "submit", "sweep": "width", "unit": "items",
          "notes": [], "inputBytesPerItem": 9, "outputBytesPerItem": 9,
          "rows": [
            {"engine": "threads", "width": 2, "items": 20000, "seconds": 0.0812, "failures": 0, "latencyP50Seconds": 0.00712, "latencyP99Seconds": 0.0153, "baselineThreads": 9, "peakThreads": 11},
            {"engine": "processes", "width": 2, "items": 20000, "seconds": 0.977, "failures": 0, "latencyP50Seconds": 0.0958, "latencyP99Seconds": 0.187, "baselineThreads": 9, "peakThreads": 12},
            {"engine": "async", "width": 2, "items": 20000, "seconds": 0.0401, "failures": 0, "latencyP50Seconds": 0.00388, "latencyP99Seconds": 0.00911, "baselineThreads": 9, "peakThreads": 10}
          ]
        }
      ]
    }
    """

    static func report() throws -> BenchReport {
        try BenchReport.decode(json: Data(json.utf8))
    }
}
