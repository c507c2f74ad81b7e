import ArgumentParser
import Foundation
import Trenza
import TrenzaImaging

extension ImageFormat: ExpressibleByArgument {}
extension PNGDeflater: ExpressibleByArgument {}

struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Apply Pillow-exact filters to many images in parallel.",
        discussion: """
            Reads PNG and JPEG files, applies the filters in the order given, and writes each result as \
            <f1>_<f2>_…_<name> in the output folder (atomically: never a half-written file). A filter with \
            a value names it too (contrast-0.5_photo.png), so different pipelines never share a name. \
            Images found under a folder keep its sub-folders under -o (-r photos -o out writes \
            out/2024/blur_a.jpg). One bad file is reported and skipped; the rest of the batch goes on. \
            Exit status 1 if any image failed.

            Outputs never collide: when two inputs would be written to one file (a/pic.jpg and \
            b/pic.jpg; a.png and a.jpg with --format png), or a result would replace an input, the \
            command names them and stops before any work. An image named twice is processed once.

            Filters: blur, sharpen, contour, detail, edge_enhance, edge_enhance_more, emboss, find_edges, \
            smooth, smooth_more, grayscale, contrast[=F] (default 1.5), brightness=F, color=F, sharpness=F; \
            and geometry: resize=WxH[:nearest|box|bilinear|hamming|bicubic|lanczos] (default bicubic), \
            thumbnail=WxH (fits the box, keeps the aspect ratio), crop=X,Y,W,H, rotate=90|180|270 \
            (counter-clockwise), flip, mirror, orient (turns a JPEG as its EXIF orientation says; outputs \
            carry no EXIF).

            Examples:
              trenza images --generate 48 samples --size 1920x1080
              trenza images samples -o out --filters blur,contrast,grayscale --engine processes -j 2
              trenza images 'photos/*.jpg' -o out --filters contrast=2.0 --compare
              trenza images 'photos/*.jpg' -o thumbs --filters orient,thumbnail=256x256,sharpen
            """
    )

    @Argument(help: "Image files, folders (their PNG/JPEG files) or glob patterns; with --generate, the folder to create.")
    var inputs: [String] = []

    @Option(name: [.short, .customLong("output")], help: "The folder for the results (created if missing; on the cluster, one every worker sees).")
    var outputFolder: String?

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

    @Option(help: "What deflates PNG output: libdeflate (faster) or zlib (libpng's own, as before).")
    var pngDeflate: PNGDeflater = .libdeflate

    @Option(help: "Refuse images with more pixels than this (decompression-bomb guard).")
    var maxPixels = ImageCodec.defaultMaxPixels

    @Option(help: "Seconds one image may take; one over it fails alone (processes engine: its worker is killed and replaced; threads and async: it stops where it is in decoding, or at the next filter pass).")
    var timeout: Double?

    @Flag(name: [.short, .long], help: "Look into sub-folders too.")
    var recursive = false

    @Flag(help: "Run the batch on all three local engines (into separate folders) and compare.")
    var compare = false

    @OptionGroup var output: OutputOptions

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
        guard outputFolder != nil else { throw ValidationError("-o/--output DIR is required.") }
        guard let filters else { throw ValidationError("--filters is required, e.g. --filters blur,contrast,grayscale") }
        do {
            _ = try ImageFilter.parseList(filters)
        } catch {
            throw ValidationError("\(error)")
        }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be between 1 and 100.") }
        guard (0...9).contains(pngCompression) else { throw ValidationError("--png-compression must be between 0 and 9.") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1.") }
        if compare && engine.engine == .cluster { throw ValidationError("--compare runs the three local engines; leave out --engine cluster.") }
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive.") }
        if let timeout { guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds (got \(timeout)).") } }
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
        let (inputs, repeated) = ImageInputs.expand(self.inputs, recursive: recursive)
        guard !inputs.isEmpty else {
            Terminal.err("No PNG or JPEG images found in \(self.inputs.joined(separator: " ")).")
            throw ExitCode(1)
        }
        if repeated > 0 && !output.quiet { Terminal.err("\(repeated) image\(repeated == 1 ? "" : "s") named more than once, processed once.") }
        let batch = ImageBatchRunner(inputs: inputs, outputFolder: outputFolder ?? ".", filters: try ImageFilter.parseList(filters ?? ""),
                                     format: format, quality: quality, pngCompression: pngCompression, pngDeflater: pngDeflate,
                                     maxPixels: maxPixels, chunkSize: batchSize, timeout: timeout)
        do {
            if compare {
                try await runComparison(batch)
                return
            }
            let summary: ImageBatchSummary
            if let local = engine.engine.local {
                summary = try await runLocally(batch, on: local)
            } else {
                guard let clustered = try await runOnCluster(batch) else { return }
                summary = clustered
            }
            if output.json {
                Terminal.out(try summary.json())
            } else {
                for failure in summary.failures { Terminal.err("failed: \(failure)") }
                Terminal.out(summary.line)
            }
            if !summary.failures.isEmpty { throw ExitCode(1) }
        } catch let error as ImageBatchError {
            throw ValidationError(error.description)
        }
    }

    private func runLocally(_ batch: ImageBatchRunner, on engine: Engine) async throws -> ImageBatchSummary {
        guard output.showsProgress else { return try await batch.run(on: engine, width: self.engine.width()) }
        let progress = Terminal.progressReporter(total: batch.inputs.count, unit: "images")
        let summary = try await batch.run(on: engine, width: self.engine.width()) { progress.record($0) }
        Terminal.endProgress()
        return summary
    }

    /// The batch as a run of the cluster: paths made absolute, since workers on other machines
    /// (or in other folders) must find the same files on the shared filesystem.
    private func runOnCluster(_ batch: ImageBatchRunner) async throws -> ImageBatchSummary? {
        let tasks = try batch.tasks(absolutePaths: true)
        try batch.createFolders(for: tasks)
        let start = monotonicSeconds()
        let (run, outcomes) = try await ClusterSubmission(engine, output: output, unit: "images").run(ImageJob(), tasks)
        guard let outcomes else { return nil }
        // A worker killed mid-write leaves a hidden temporary file beside the output another
        // worker then wrote; the run is final, so no one writes there any more.
        AtomicFile.removeLeftovers(of: outcomes.compactMap { $0.output?.destination })
        return ImageBatchSummary(engine: "cluster", width: nil, run: run, seconds: monotonicSeconds() - start,
                                 paths: tasks.map(\.source), outcomes: outcomes)
    }

    private func runComparison(_ batch: ImageBatchRunner) async throws {
        var summaries: [ImageBatchSummary] = []
        for engine in Engine.allCases {
            if output.showsProgress { Terminal.err("\(engine)…") }
            summaries.append(try await runLocally(batch.writing(into: engine.rawValue), on: engine))
        }
        let comparison = ImageComparison(summaries: summaries)
        if output.json {
            Terminal.out(try comparison.json())
        } else {
            for line in comparison.lines { Terminal.out(line) }
        }
        if !comparison.identicalOutputs || comparison.anyFailed { throw ExitCode(1) }
    }

    private func generateSamples(count: Int) throws {
        guard let (width, height) = parsedSize else { return }
        let folder = inputs[0]
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let chosen = format ?? .jpeg
        let progress = Terminal.progressReporter(total: count, unit: "images")
        for number in 0..<count {
            let image = SampleImages.generate(width: width, height: height, seed: seed &+ UInt64(number))
            let bytes = try ImageCodec.encode(image, as: chosen, quality: quality, compression: pngCompression,
                                              deflater: pngDeflate)
            let path = URL(fileURLWithPath: folder).appendingPathComponent(String(format: "sample_%03d.%@", number + 1, chosen.fileExtension)).path
            try AtomicFile.write(bytes, to: path)
            if !output.quiet { progress.record(.succeeded(index: number, duration: .zero)) }
        }
        if !output.quiet { Terminal.endProgress() }
        Terminal.out("Wrote \(count) \(width)×\(height) \(chosen.rawValue.uppercased()) sample images to \(folder) (seed \(seed)).")
    }
}
