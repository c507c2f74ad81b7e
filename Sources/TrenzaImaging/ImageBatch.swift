import Foundation
import Trenza

/// One image to process: where it is, what to do to it, where the result goes.
public struct ImageTask: Codable, Sendable, Equatable {
    public var source: String
    public var destinationFolder: String
    public var filters: [ImageFilter]
    /// The output format; `nil` keeps the input's.
    public var format: ImageFormat?
    /// JPEG quality, 1…100.
    public var quality: Int
    /// PNG zlib level, 0…9.
    public var pngCompression: Int
    /// The decompression-bomb limit.
    public var maxPixels: Int
    /// Threads that split this image's filters into row bands: more than one pays off when a
    /// batch has fewer images than the engine has lanes.
    public var bandThreads: Int

    public init(source: String, destinationFolder: String, filters: [ImageFilter], format: ImageFormat? = nil,
                quality: Int = 75, pngCompression: Int = ImageCodec.defaultPNGCompression,
                maxPixels: Int = ImageCodec.defaultMaxPixels, bandThreads: Int = 1) {
        self.source = source
        self.destinationFolder = destinationFolder
        self.filters = filters
        self.format = format
        self.quality = quality
        self.pngCompression = pngCompression
        self.maxPixels = maxPixels
        self.bandThreads = bandThreads
    }

    /// The tutorial's output name, `<f1>_<f2>_…_<name>`, with the extension of the output format.
    public func destination(for inputFormat: ImageFormat) -> String {
        let name = URL(fileURLWithPath: source).lastPathComponent
        var output = filters.isEmpty ? name : filters.map(\.name).joined(separator: "_") + "_" + name
        let chosen = format ?? inputFormat
        if chosen != inputFormat {
            let stem = (output as NSString).deletingPathExtension
            output = stem + "." + chosen.fileExtension
        }
        return URL(fileURLWithPath: destinationFolder).appendingPathComponent(output).path
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
public struct ImageJob: Job {
    public static let name = "images.process"
    public init() {}

    public func run(_ task: ImageTask) throws -> ImageReport {
        let name = URL(fileURLWithPath: task.source).lastPathComponent
        var clock = monotonicSeconds()
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
        let decoded: DecodedImage
        do {
            decoded = try ImageCodec.decode(bytes, maxPixels: task.maxPixels, for: task.filters)
        } catch {
            throw JobError("\(name): \(error.message)")
        }
        let decodeSeconds = lap()
        let filtered: Image
        do {
            filtered = try decoded.applying(task.filters, threads: task.bandThreads)
        } catch {
            throw JobError("\(name): \(error)")
        }
        let filterSeconds = lap()
        let format = task.format ?? decoded.format
        let encoded: [UInt8]
        do {
            encoded = try ImageCodec.encode(filtered, as: format, quality: task.quality, compression: task.pngCompression)
        } catch {
            throw JobError("\(name): \(error.message)")
        }
        let encodeSeconds = lap()
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

/// Turns the command line's inputs (files, folders, glob patterns) into image paths.
public enum ImageInputs {
    static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Paths in the order given; a folder contributes its PNG and JPEG files sorted by name
    /// (and its sub-folders' with `recursive`); a pattern with `*`, `?` or `[` is expanded.
    /// A path that does not exist is kept, so that it is reported as a failure of its own.
    public static func expand(_ arguments: [String], recursive: Bool) -> [String] {
        var paths: [String] = []
        for argument in arguments {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) {
                paths += isFolder.boolValue ? images(in: argument, recursive: recursive) : [argument]
            } else if argument.contains(where: { "*?[".contains($0) }) {
                paths += glob(argument)
            } else {
                paths.append(argument)
            }
        }
        return paths
    }

    private static func images(in folder: String, recursive: Bool) -> [String] {
        let base = URL(fileURLWithPath: folder)
        let names: [String]
        if recursive {
            names = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String]) ?? []
        } else {
            names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        }
        return names.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) && !($0 as NSString).lastPathComponent.hasPrefix(".") }
            .sorted()
            .map { base.appendingPathComponent($0).path }
    }

    private static func glob(_ pattern: String) -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        guard Glibc.glob(pattern, 0, nil, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { matches.gl_pathv[$0].map { String(cString: $0) } }
    }
}
