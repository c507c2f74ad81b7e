import Foundation
import Trenza

/// One image to process: where it is, what to do to it, where the result goes.
public struct ImageTask: Codable, Sendable, Equatable {
    public var source: String
    public var destinationFolder: String
    /// The result's path under `destinationFolder`, planned with the batch's other outputs (see
    /// ``ImageOutputPlan``); `nil` names it from the source alone, in the folder itself.
    public var outputName: String?
    /// The longest this image may take, in seconds; `nil` for no limit. Checked between stages
    /// and filters (see ``ImageJob``); on the processes engine the worker is also killed then.
    public var timeout: Double?
    public var filters: [ImageFilter]
    /// The output format; `nil` keeps the input's.
    public var format: ImageFormat?
    /// JPEG quality, 1…100.
    public var quality: Int
    /// PNG zlib level, 0…9.
    public var pngCompression: Int
    /// What deflates PNG output; nil means libdeflate (optional so that a task encoded without it
    /// still decodes).
    public var pngDeflater: PNGDeflater?
    /// The decompression-bomb limit.
    public var maxPixels: Int
    /// Threads that split this image's filters into row bands: more than one pays off when a
    /// batch has fewer images than the engine has lanes.
    public var bandThreads: Int

    public init(source: String, destinationFolder: String, filters: [ImageFilter], format: ImageFormat? = nil,
                quality: Int = 75, pngCompression: Int = ImageCodec.defaultPNGCompression,
                maxPixels: Int = ImageCodec.defaultMaxPixels, bandThreads: Int = 1, pngDeflater: PNGDeflater? = nil,
                outputName: String? = nil, timeout: Double? = nil) {
        self.source = source
        self.destinationFolder = destinationFolder
        self.outputName = outputName
        self.timeout = timeout
        self.filters = filters
        self.format = format
        self.quality = quality
        self.pngCompression = pngCompression
        self.pngDeflater = pngDeflater
        self.maxPixels = maxPixels
        self.bandThreads = bandThreads
    }

    /// Where the result is written: the planned ``outputName``, or
    /// ``ImageOutputPlan/name(of:filters:format:inputFormat:)`` in the folder.
    public func destination(for inputFormat: ImageFormat) -> String {
        let name = outputName ?? ImageOutputPlan.name(of: source, filters: filters, format: format, inputFormat: inputFormat)
        return URL(fileURLWithPath: destinationFolder).appendingPathComponent(name).path
    }
}

/// What processing one image did and how long each stage took.
public struct ImageReport: Codable, Sendable, Equatable {
    public var source: String
    public var destination: String
    public var width: Int
    public var height: Int
    public var inputBytes: Int
    public var outputBytes: Int
    public var decodeSeconds: Double
    public var filterSeconds: Double
    public var encodeSeconds: Double
    public var writeSeconds: Double

    public var megapixels: Double { Double(width * height) / 1_000_000 }
}

/// Reads, filters, encodes and atomically writes one image: the unit of work of `trenza images`
/// on every engine.
///
/// A task's ``ImageTask/timeout`` is checked while decoding (row by row), after each filter pass
/// and after encoding: a thread cannot be stopped from outside, so an image over its time fails
/// at the next of these points, before anything is written.
public struct ImageJob: Job {
    public static let name = "images.process"
    public init() {}

    public func run(_ task: ImageTask) throws -> ImageReport {
        let name = URL(fileURLWithPath: task.source).lastPathComponent
        var clock = monotonicSeconds()
        let deadline = task.timeout.map { clock + $0 }
        func checkDeadline(_ stage: @autoclosure () -> String) throws(JobError) {
            guard let deadline, let timeout = task.timeout, monotonicSeconds() > deadline else { return }
            throw JobError("\(name): timed out after \(formatSeconds(timeout)) (--timeout), \(stage())")
        }
        func lap() -> Double {
            let now = monotonicSeconds()
            defer { clock = now }
            return now - clock
        }
        let bytes: [UInt8]
        do {
            bytes = try readFile(task.source)
        } catch {
            throw JobError("\(name): \(error.reason)")
        }
        try checkDeadline("while reading")
        let decoded: DecodedImage
        do {
            decoded = try ImageCodec.decode(bytes, maxPixels: task.maxPixels, for: task.filters, deadline: deadline)
        } catch {
            if error.timedOut, let timeout = task.timeout {
                throw JobError("\(name): timed out after \(formatSeconds(timeout)) (--timeout), while decoding")
            }
            throw JobError("\(name): \(error.message)")
        }
        let decodeSeconds = lap()
        try checkDeadline("while decoding")
        var passesDone = 0
        let filtered = try decoded.applying(task.filters, threads: task.bandThreads, between: { () throws(JobError) in
            passesDone += 1
            try checkDeadline("after \(passesDone) filter pass\(passesDone == 1 ? "" : "es")")
        }, refusing: { JobError("\(name): \($0)") })
        let filterSeconds = lap()
        let format = task.format ?? decoded.format
        let encoded: [UInt8]
        do {
            encoded = try ImageCodec.encode(filtered, as: format, quality: task.quality, compression: task.pngCompression,
                                         deflater: task.pngDeflater ?? .libdeflate)
        } catch {
            throw JobError("\(name): \(error.message)")
        }
        let encodeSeconds = lap()
        try checkDeadline("while encoding")
        let destination = task.destination(for: decoded.format)
        do {
            try AtomicFile.write(encoded, to: destination)
        } catch {
            throw JobError("\(name): \(error)")
        }
        return ImageReport(source: task.source, destination: destination, width: filtered.width, height: filtered.height,
                           inputBytes: bytes.count, outputBytes: encoded.count, decodeSeconds: decodeSeconds,
                           filterSeconds: filterSeconds, encodeSeconds: encodeSeconds, writeSeconds: lap())
    }
}

struct ReadError: Error { var reason: String }

/// Reads a whole file, with the system's reason when it cannot.
func readFile(_ path: String) throws(ReadError) -> [UInt8] {
    // O_NONBLOCK: a FIFO named like a photo must be refused below, not block the batch in open().
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { throw ReadError(reason: "cannot open: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw ReadError(reason: "cannot read: \(String(cString: strerror(errno)))") }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw ReadError(reason: "not a regular file") }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var offset = 0
    while offset < bytes.count {
        let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, $0.count - offset) }
        if got < 0 {
            if errno == EINTR { continue }
            throw ReadError(reason: "cannot read: \(String(cString: strerror(errno)))")
        }
        if got == 0 { break }
        offset += got
    }
    if offset < bytes.count { bytes.removeSubrange(offset...) }
    return bytes
}
