import ArgumentParser
import Foundation
import Trenza
import TrenzaImaging

extension ImageFormat: ExpressibleByArgument {}

struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Apply Pillow-exact filters to many images in parallel.",
        discussion: """
            Reads PNG and JPEG files, applies the filters in the order given, and writes each result as \
            <f1>_<f2>_…_<name> in the output folder (atomically: never a half-written file). One bad file \
            is reported and skipped; the rest of the batch goes on. Exit status 1 if any image failed.

            Filters: blur, sharpen, contour, detail, edge_enhance, edge_enhance_more, emboss, find_edges, \
            smooth, smooth_more, grayscale, contrast[=F] (default 1.5), brightness=F, color=F, sharpness=F.

            Examples:
              trenza images --generate 48 samples --size 1920x1080
              trenza images samples -o out --filters blur,contrast,grayscale --engine processes -j 2
              trenza images 'photos/*.jpg' -o out --filters contrast=2.0 --compare
            """
    )

    @Argument(help: "Image files, folders (their PNG/JPEG files) or glob patterns; with --generate, the folder to create.")
    var inputs: [String] = []

    @Option(name: [.short, .customLong("output")], help: "The folder for the results (created if missing).")
    var output: String?

    @Option(help: "Comma-separated filters, applied in order.")
    var filters: String?

    @OptionGroup var engine: EngineOptions

    @Option(help: "Images per message to a worker process (processes engine); by default sized from the measured time per image (one at a time for photos).")
    var batchSize: Int?

    @Option(help: "Output format: png or jpeg (default: the input's).")
    var format: ImageFormat?

    @Option(help: "JPEG quality, 1–100.")
    var quality = 75

    @Option(help: "PNG zlib level, 0–9: lower is faster and larger (6 is Pillow's default).")
    var pngCompression = ImageCodec.defaultPNGCompression

    @Option(help: "Refuse images with more pixels than this (decompression-bomb guard).")
    var maxPixels = ImageCodec.defaultMaxPixels

    @Flag(name: [.short, .long], help: "Look into sub-folders too.")
    var recursive = false

    @Flag(help: "Run the batch on all three engines (into separate folders) and compare.")
    var compare = false

    @Flag(help: "Print a JSON summary on stdout.")
    var json = false

    @Flag(name: [.short, .long], help: "Print only failures and the summary.")
    var quiet = false

    @Option(help: "Write N photo-like sample images into the folder given as argument, then exit.")
    var generate: Int?

    @Option(help: "Size of generated images, WxH.")
    var size = "1920x1080"

    @Option(help: "Seed of generated images: the same seed gives the same images.")
    var seed: UInt64 = 1

    func validate() throws {
        if let generate {
            guard generate > 0 else { throw ValidationError("--generate needs a positive count.") }
            guard inputs.count == 1 else { throw ValidationError("--generate N needs exactly one folder: trenza images --generate 10 samples") }
            guard parsedSize != nil else { throw ValidationError("--size must look like 1920x1080 (each side 1…16384).") }
            return
        }
        guard !inputs.isEmpty else { throw ValidationError("name at least one image, folder or pattern.") }
        guard output != nil else { throw ValidationError("-o/--output DIR is required.") }
        guard let filters else { throw ValidationError("--filters is required, e.g. --filters blur,contrast,grayscale") }
        do {
            _ = try ImageFilter.parseList(filters)
        } catch {
            throw ValidationError("\(error)")
        }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be between 1 and 100.") }
        guard (0...9).contains(pngCompression) else { throw ValidationError("--png-compression must be between 0 and 9.") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1.") }
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive.") }
    }

    var parsedSize: (width: Int, height: Int)? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, (1...16384).contains(parts[0]), (1...16384).contains(parts[1]) else { return nil }
        return (parts[0], parts[1])
    }

    func run() async throws {
        if let generate {
            try generateSamples(count: generate)
            return
        }
        let filterList = try ImageFilter.parseList(filters ?? "")
        let paths = ImageInputs.expand(inputs, recursive: recursive)
        guard !paths.isEmpty else {
            Terminal.err("No PNG or JPEG images found in \(inputs.joined(separator: " ")).")
            throw ExitCode(1)
        }
        let folder = output ?? "."
        if compare {
            try await runComparison(paths: paths, filters: filterList, folder: folder)
            return
        }
        let summary = try await runBatch(paths: paths, filters: filterList, folder: folder, engine: engine.engine, showProgress: !json)
        if json {
            Terminal.out(try summary.json())
        } else {
            for failure in summary.failures { Terminal.err("failed: \(failure)") }
            Terminal.out(summary.line)
        }
        if !summary.failures.isEmpty { throw ExitCode(1) }
    }

    private func runBatch(paths: [String], filters: [ImageFilter], folder: String, engine: Engine, showProgress: Bool) async throws -> BatchSummary {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create the output folder \(folder): \(error.localizedDescription)")
        }
        // Fewer images than lanes (one huge photo, say): split each image's rows instead.
        let bandThreads = max(1, self.engine.jobs / paths.count)
        let tasks = paths.map {
            ImageTask(source: $0, destinationFolder: folder, filters: filters, format: format, quality: quality,
                      pngCompression: pngCompression, maxPixels: maxPixels, bandThreads: bandThreads)
        }
        let progress = Terminal.progressReporter(total: tasks.count, unit: "images")
        let runner = Runner(engine: engine, width: self.engine.jobs, options: .init(chunkSize: batchSize, setup: ImageWorkerSetup()))
        let start = monotonicSeconds()
        let outcomes = await runner.map(ImageJob(), tasks) { event in
            if showProgress && !quiet { progress.record(event) }
        }
        if showProgress && !quiet { Terminal.endProgress() }
        return BatchSummary(engine: engine, width: self.engine.jobs, seconds: monotonicSeconds() - start, paths: paths, outcomes: outcomes)
    }

    private func runComparison(paths: [String], filters: [ImageFilter], folder: String) async throws {
        var summaries: [BatchSummary] = []
        for engine in Engine.allCases {
            let subfolder = URL(fileURLWithPath: folder).appendingPathComponent(engine.rawValue).path
            if !json && !quiet { Terminal.err("\(engine)…") }
            summaries.append(try await runBatch(paths: paths, filters: filters, folder: subfolder, engine: engine, showProgress: !json))
        }
        let identical = outputsIdentical(summaries)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            struct Comparison: Encodable { var engines: [BatchSummary.Report]; var identicalOutputs: Bool }
            Terminal.out(String(decoding: try encoder.encode(Comparison(engines: summaries.map(\.report), identicalOutputs: identical)), as: UTF8.self))
        } else {
            Terminal.out("engine      width   seconds    img/s     MP/s   ok  failed")
            let best = summaries.min { $0.seconds < $1.seconds }?.engine
            for s in summaries {
                Terminal.out("\(s.engine.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(String(format: "%6d %9.3f %8.1f %8.1f %4d %7d", s.width, s.seconds, s.imagesPerSecond, s.megapixelsPerSecond, s.succeeded, s.failures.count))\(s.engine == best ? "  ← fastest" : "")")
            }
            Terminal.out(identical ? "All three engines wrote identical files." : "The engines' outputs DIFFER.")
        }
        if !identical || summaries.contains(where: { !$0.failures.isEmpty }) { throw ExitCode(1) }
    }

    /// True when every engine wrote the same bytes for every image.
    private func outputsIdentical(_ summaries: [BatchSummary]) -> Bool {
        guard let first = summaries.first else { return true }
        for (index, outcome) in first.outcomes.enumerated() {
            guard case .success(let report) = outcome else { continue }
            let reference = FileManager.default.contents(atPath: report.destination)
            for other in summaries.dropFirst() {
                guard case .success(let otherReport) = other.outcomes[index],
                      FileManager.default.contents(atPath: otherReport.destination) == reference else { return false }
            }
        }
        return true
    }

    private func generateSamples(count: Int) throws {
        guard let (width, height) = parsedSize else { return }
        let folder = inputs[0]
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let chosen = format ?? .jpeg
        let progress = Terminal.progressReporter(total: count, unit: "images")
        for number in 0..<count {
            let image = SampleImages.generate(width: width, height: height, seed: seed &+ UInt64(number))
            let bytes = try ImageCodec.encode(image, as: chosen, quality: quality, compression: pngCompression)
            let path = URL(fileURLWithPath: folder).appendingPathComponent(String(format: "sample_%03d.%@", number + 1, chosen.fileExtension)).path
            try AtomicFile.write(bytes, to: path)
            if !quiet { progress.record(.succeeded(index: number, duration: .zero)) }
        }
        if !quiet { Terminal.endProgress() }
        Terminal.out("Wrote \(count) \(width)×\(height) \(chosen.rawValue.uppercased()) sample images to \(folder) (seed \(seed)).")
    }
}

/// What one batch did, for the summary line, the failures list and the JSON report.
struct BatchSummary {
    var engine: Engine
    var width: Int
    var seconds: Double
    var paths: [String]
    var outcomes: [Outcome<ImageReport>]

    var succeeded: Int { outcomes.filter { $0.output != nil }.count }
    var failures: [String] { outcomes.compactMap { $0.failure?.message } }
    var megapixels: Double { outcomes.compactMap { $0.output?.megapixels }.reduce(0, +) }
    var imagesPerSecond: Double { seconds > 0 ? Double(succeeded) / seconds : 0 }
    var megapixelsPerSecond: Double { seconds > 0 ? megapixels / seconds : 0 }

    var line: String {
        "\(succeeded) of \(outcomes.count) images in \(String(format: "%.2f", seconds)) s: "
            + "\(String(format: "%.1f", imagesPerSecond)) images/s, \(String(format: "%.1f", megapixelsPerSecond)) MP/s "
            + "(\(engine), width \(width))" + (failures.isEmpty ? "" : "; \(failures.count) failed")
    }

    struct Report: Encodable {
        struct Item: Encodable {
            var source: String
            var ok: Bool
            var destination: String?
            var width: Int?
            var height: Int?
            var error: String?
        }
        var engine: String
        var width: Int
        var seconds: Double
        var succeeded: Int
        var failed: Int
        var imagesPerSecond: Double
        var megapixelsPerSecond: Double
        /// Summed over images: where the time went.
        var stageSeconds: [String: Double]
        /// The largest resident set of any worker process (processes engine), and of this process.
        var peakWorkerRSSKilobytes: Int
        var peakProcessRSSKilobytes: Int
        var images: [Item]
    }

    var report: Report {
        let reports = outcomes.compactMap(\.output)
        return Report(engine: engine.rawValue, width: width, seconds: seconds, succeeded: succeeded, failed: failures.count,
               imagesPerSecond: imagesPerSecond, megapixelsPerSecond: megapixelsPerSecond,
               stageSeconds: ["decode": reports.map(\.decodeSeconds).reduce(0, +), "filter": reports.map(\.filterSeconds).reduce(0, +),
                              "encode": reports.map(\.encodeSeconds).reduce(0, +), "write": reports.map(\.writeSeconds).reduce(0, +)],
               peakWorkerRSSKilobytes: peakRSS(RUSAGE_CHILDREN), peakProcessRSSKilobytes: peakRSS(RUSAGE_SELF),
               images: zip(paths, outcomes).map { path, outcome in
                   switch outcome {
                   case .success(let r): .init(source: path, ok: true, destination: r.destination, width: r.width, height: r.height)
                   case .failure(let f): .init(source: path, ok: false, error: f.message)
                   }
               })
    }

    private func peakRSS(_ who: __rusage_who) -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(who.rawValue), &usage)
        return usage.ru_maxrss
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }
}
