import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import Synchronization
import TrenzaImaging

/// Content for downloaders to fetch: picsum-shaped sample photos, httpbin-shaped byte streams
/// and a slow drip, all deterministic so a client's test can check every byte.
struct ContentRoutes: Sendable {
    /// The largest side `/id/{id}/{w}/{h}` draws: 4096 × 4096 is 48 MiB of pixels.
    static let maximumImageSide = 4096
    /// The largest `/bytes/{n}`: big enough for throughput runs, small enough to be a mistake beyond.
    static let maximumByteCount = 16 << 30

    let images = SampleJPEGCache(budgetBytes: 64 << 20)

    func register(on router: Router<ServerContext>) {
        router.get("/id/:id/:width/:height") { request, context in
            let id = try context.parameters.require("id", as: UInt64.self)
            let width = try context.parameters.require("width", as: Int.self)
            let height = try context.parameters.require("height", as: Int.self)
            guard (1...Self.maximumImageSide).contains(width), (1...Self.maximumImageSide).contains(height) else {
                throw HTTPError(.badRequest, message: "width and height must be between 1 and \(Self.maximumImageSide) (got \(width)×\(height))")
            }
            let jpeg = try await images.jpeg(id: id, width: width, height: height)
            return try await Representation(
                length: jpeg.bytes.count,
                contentType: "image/jpeg",
                etag: "\"\(id)-\(width)x\(height)-\(jpeg.digest)\"",
                body: { range in ResponseBody(byteBuffer: ByteBuffer(bytes: jpeg.bytes[range])) }
            ).response(to: request)
        }

        router.get("/bytes/:count") { request, context in
            let count = try context.parameters.require("count", as: Int.self)
            guard (0...Self.maximumByteCount).contains(count) else {
                throw HTTPError(.badRequest, message: "the byte count must be between 0 and \(Self.maximumByteCount) (got \(count))")
            }
            let seed = try request.query("seed", as: UInt64.self) ?? 0
            return try await Self.sampleBytes(count: count, seed: seed).response(to: request)
        }

        router.get("/drip") { request, _ in
            let count = try request.query("bytes", as: Int.self) ?? 10
            let duration = try request.query("duration", as: Double.self) ?? 2
            let seed = try request.query("seed", as: UInt64.self) ?? 0
            guard (0...(16 << 20)).contains(count) else { throw HTTPError(.badRequest, message: "bytes must be between 0 and 16 MiB") }
            guard (0...60).contains(duration) else { throw HTTPError(.badRequest, message: "duration must be between 0 and 60 seconds") }
            // At most 100 pieces, evenly spaced: slow enough to trip a client's idle timeout
            // when asked, without a write per byte for big bodies.
            let pieces = max(1, min(count, 100))
            let pause = Duration.seconds(duration / Double(pieces))
            return Response(
                status: .ok,
                headers: [.contentType: "application/octet-stream", .contentLength: String(count)],
                body: ResponseBody(contentLength: count) { writer in
                    for piece in 0..<pieces where count > 0 {
                        try await Task.sleep(for: pause)
                        let start = count * piece / pieces, end = count * (piece + 1) / pieces
                        try await writer.write(ByteBuffer(bytes: SampleBytes.generate(count: end - start, seed: seed, offset: start)))
                    }
                    try await writer.finish(nil)
                }
            )
        }
    }

    /// The `count` bytes of the stream for `seed` as a representation, produced a piece at a
    /// time so a gigabyte costs no more memory than a kilobyte.
    static func sampleBytes(count: Int, seed: UInt64) -> Representation {
        Representation(
            length: count,
            contentType: "application/octet-stream",
            etag: "\"bytes-\(count)-\(seed)\"",
            body: { range in streamedSampleBytes(range, seed: seed) }
        )
    }

    static func streamedSampleBytes(_ range: Range<Int>, seed: UInt64) -> ResponseBody {
        ResponseBody(contentLength: range.count) { writer in
            let piece = 256 << 10
            var offset = range.lowerBound
            while offset < range.upperBound {
                let size = min(piece, range.upperBound - offset)
                var buffer = ByteBufferAllocator().buffer(capacity: size)
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
                    SampleBytes.fill(UnsafeMutableRawBufferPointer(rebasing: raw[0..<size]), seed: seed, offset: offset)
                    return size
                }
                try await writer.write(buffer)
                offset += size
            }
            try await writer.finish(nil)
        }
    }
}

/// Encoded sample photos, kept while they fit in a byte budget, so a downloader's hundred
/// requests for the same picture cost one encode; concurrent first requests share that encode.
final class SampleJPEGCache: Sendable {
    struct Entry: Sendable {
        var bytes: [UInt8]
        /// A short hash of the bytes, for the ETag: a new generator gives new tags.
        var digest: String
    }

    private struct Key: Hashable { var id: UInt64, width: Int, height: Int }

    private struct State {
        var entries: [Key: Task<Entry, any Error>] = [:]
        var sizes: [Key: Int] = [:]
        var order: [Key] = []
        var total = 0
    }

    private let budgetBytes: Int
    private let state = Mutex(State())

    init(budgetBytes: Int) {
        self.budgetBytes = budgetBytes
    }

    func jpeg(id: UInt64, width: Int, height: Int) async throws -> Entry {
        let key = Key(id: id, width: width, height: height)
        let task = state.withLock { state in
            if let existing = state.entries[key] { return existing }
            let task = Task<Entry, any Error> {
                // Drawing and encoding a big picture takes a while: off the cooperative pool.
                try await NIOThreadPool.singleton.runIfActive {
                    let image = SampleImages.generate(width: width, height: height, seed: id)
                    let bytes = try ImageCodec.encodeJPEG(image, quality: 85)
                    return Entry(bytes: bytes, digest: String(fnv1a(bytes), radix: 36))
                }
            }
            state.entries[key] = task
            state.order.append(key)
            return task
        }
        do {
            let entry = try await task.value
            record(key, size: entry.bytes.count)
            return entry
        } catch {
            _ = state.withLock { $0.entries.removeValue(forKey: key) }
            throw error
        }
    }

    /// Counts an entry's size once, then drops the oldest entries beyond the budget.
    private func record(_ key: Key, size: Int) {
        state.withLock { state in
            guard state.sizes[key] == nil, state.entries[key] != nil else { return }
            state.sizes[key] = size
            state.total += size
            while state.total > budgetBytes, let oldest = state.order.first, oldest != key {
                state.order.removeFirst()
                state.entries[oldest] = nil
                state.total -= state.sizes.removeValue(forKey: oldest) ?? 0
            }
        }
    }
}

extension Request {
    /// The query parameter `name` as a `T`; `nil` when absent, a 400 naming it when malformed.
    func query<T: LosslessStringConvertible>(_ name: String, as type: T.Type) throws -> T? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = T(String(text)) else {
            throw HTTPError(.badRequest, message: "the query parameter \(name)=\(text) is not a valid \(T.self)")
        }
        return value
    }
}

private func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
}
