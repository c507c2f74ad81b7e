import Foundation
import Trenza

/// A batch of `trenza images` from its inputs to its summary, on any local engine: the one place
/// that plans the outputs, prepares their folders and runs the ``ImageJob``s, for the command
/// line, the benchmark and any program that processes folders of images.
///
/// ```swift
/// let (inputs, _) = ImageInputs.expand(["photos"], recursive: true)
/// let batch = ImageBatchRunner(inputs: inputs, outputFolder: "out", filters: [.contrast(2)])
/// let summary = try await batch.run(on: .processes, width: 4)
/// print(summary.line)
/// ```
public struct ImageBatchRunner: Sendable {
    public var inputs: [ImageInput]
    public var outputFolder: String
    public var filters: [ImageFilter]
    /// The output format; `nil` keeps each input's.
    public var format: ImageFormat?
    public var quality: Int
    public var pngCompression: Int
    /// What deflates PNG output.
    public var pngDeflater: PNGDeflater
    public var maxPixels: Int
    /// Processes engine: images per message; `nil` sizes chunks from the measured time per image.
    public var chunkSize: Int?
    /// The longest one image may take, in seconds; `nil` for no limit. See ``ImageTask/timeout``.
    public var timeout: Double?

    public init(inputs: [ImageInput], outputFolder: String, filters: [ImageFilter], format: ImageFormat? = nil,
                quality: Int = 75, pngCompression: Int = ImageCodec.defaultPNGCompression, pngDeflater: PNGDeflater = .libdeflate,
                maxPixels: Int = ImageCodec.defaultMaxPixels, chunkSize: Int? = nil, timeout: Double? = nil) {
        self.inputs = inputs
        self.outputFolder = outputFolder
        self.filters = filters
        self.format = format
        self.quality = quality
        self.pngCompression = pngCompression
        self.pngDeflater = pngDeflater
        self.maxPixels = maxPixels
        self.chunkSize = chunkSize
        self.timeout = timeout
    }

    /// The batch's tasks, their outputs named and checked: no two results share a file, and no
    /// result replaces one of the batch's own inputs. The folders are not created yet.
    ///
    /// - Parameters:
    ///   - bandThreads: threads that split each image's rows (worth it with fewer images than lanes).
    ///   - absolutePaths: sources and folder made absolute, for workers that run elsewhere.
    public func tasks(bandThreads: Int = 1, absolutePaths: Bool = false) throws(ImageBatchError) -> [ImageTask] {
        let names: [String]
        do {
            names = try ImageOutputPlan.outputNames(of: inputs, filters: filters, format: format)
        } catch {
            throw ImageBatchError(error.description)
        }
        let folder = absolutePaths ? Self.absolute(outputFolder) : outputFolder
        let tasks = zip(inputs, names).map { input, name in
            ImageTask(source: absolutePaths ? Self.absolute(input.path) : input.path, destinationFolder: folder,
                      filters: filters, format: format, quality: quality, pngCompression: pngCompression,
                      maxPixels: maxPixels, bandThreads: bandThreads, pngDeflater: pngDeflater, outputName: name, timeout: timeout)
        }
        try refuseOverwritingInputs(tasks)
        return tasks
    }

    /// Creates the output folder and the sub-folders the tasks write into.
    public func createFolders(for tasks: [ImageTask]) throws(ImageBatchError) {
        let folders = Set(tasks.map { URL(fileURLWithPath: $0.destination(for: .png)).deletingLastPathComponent().path })
        for folder in [outputFolder] + folders.sorted() {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw ImageBatchError("cannot create the output folder \(folder): \(error.localizedDescription)")
            }
        }
    }

    /// Runs the batch on a local engine, `width` images (or, with fewer images, row bands) at once.
    public func run(on engine: Engine, width: Int, onEvent: ProgressHandler? = nil) async throws(ImageBatchError) -> ImageBatchSummary {
        // Fewer images than lanes (one huge photo, say): split each image's rows instead.
        let tasks = try tasks(bandThreads: max(1, width / max(1, inputs.count)))
        try createFolders(for: tasks)
        // A worker process past the limit is killed and replaced: that stops even a decoder
        // stuck inside one call, which the checks of the job itself cannot.
        let runner = Runner(engine: engine, width: width, options: .init(
            timeout: timeout.map { .milliseconds(Int64(($0 * 1000).rounded(.up))) }, chunkSize: chunkSize, setup: ImageWorkerSetup()))
        let start = monotonicSeconds()
        let outcomes = await runner.map(ImageJob(), tasks, onEvent: onEvent)
        return ImageBatchSummary(engine: engine.rawValue, width: width, seconds: monotonicSeconds() - start,
                                 paths: inputs.map(\.path), outcomes: outcomes)
    }

    /// The same batch writing into a sub-folder of the output folder: `--compare` runs each engine
    /// into one named after it.
    public func writing(into subfolder: String) -> ImageBatchRunner {
        var batch = self
        batch.outputFolder = URL(fileURLWithPath: outputFolder).appendingPathComponent(subfolder).path
        return batch
    }

    /// A result written over a file the batch reads would lose an input, maybe before it is read.
    private func refuseOverwritingInputs(_ tasks: [ImageTask]) throws(ImageBatchError) {
        var sources: [String: String] = [:]
        for task in tasks { sources[Self.identity(task.source)] = task.source }
        for task in tasks {
            let destination = task.destination(for: .png)
            if let source = sources[Self.identity(destination)] {
                throw ImageBatchError("the result of \(task.source) would replace the input \(source), so nothing was done; "
                    + "choose another output folder (-o).")
            }
        }
    }

    /// The file behind a path (device and inode) where it exists, else its absolute path.
    private static func identity(_ path: String) -> String {
        var info = stat()
        if stat(path, &info) == 0 { return "file:\(info.st_dev):\(info.st_ino)" }
        return "path:" + absolute(path)
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
            .standardizedFileURL.path
    }
}

/// Why a batch could not start; nothing was written.
public struct ImageBatchError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One batch on the three local engines.
public struct ImageComparison: Sendable {
    public var summaries: [ImageBatchSummary]
    /// True when every engine wrote the same bytes for every image.
    public var identicalOutputs: Bool

    public init(summaries: [ImageBatchSummary]) {
        self.summaries = summaries
        identicalOutputs = Self.sameBytes(summaries)
    }

    private static func sameBytes(_ summaries: [ImageBatchSummary]) -> Bool {
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

    public var anyFailed: Bool { summaries.contains { !$0.failures.isEmpty } }

    /// The `--compare` table and its verdict.
    public var lines: [String] {
        ImageBatchSummary.comparisonTable(summaries)
            + [identicalOutputs ? "All three engines wrote identical files." : "The engines' outputs DIFFER."]
    }

    /// The `--compare --json` document.
    public func json() throws -> String {
        struct Document: Encodable { var engines: [ImageBatchSummary.Report]; var identicalOutputs: Bool }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(Document(engines: summaries.map(\.report), identicalOutputs: identicalOutputs)), as: UTF8.self)
    }
}
