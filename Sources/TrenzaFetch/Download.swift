import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Trenza

#if canImport(Glibc)
import Glibc
#endif

/// One URL's download from start to finish: the skip check, the attempts with their waits, the
/// resume of a `.part` file, the checksum and the rename.
struct Download {
    let item: FetchItem
    let clients: FetchClients
    let onBytes: (@Sendable (Int, Int) -> Void)?
    let onWait: (@Sendable (Int, RetryWait) -> Void)?
    /// The planned name, or that name with the URL's hash when an earlier run's download of
    /// another URL already holds it (the same folder, a different list).
    let name: PlannedName

    init(item: FetchItem, clients: FetchClients, onBytes: (@Sendable (Int, Int) -> Void)?,
         onWait: (@Sendable (Int, RetryWait) -> Void)? = nil) {
        self.item = item
        self.clients = clients
        self.onBytes = onBytes
        self.onWait = onWait
        var name = item.name
        if item.mayFindEarlierFiles, Self.heldByAnotherURL(name, folder: item.folder, url: item.request.url) {
            name.stem = FileNaming.fit(name.stem, reserving: 9) + "-" + FileNaming.urlHash(item.request.url)
        }
        self.name = name
    }

    private var settings: FetchSettings { item.settings }
    private var partPath: String { path(name.partName) }

    /// True when the final or part file for `name` records a different URL than `url`.
    private static func heldByAnotherURL(_ name: PlannedName, folder: String, url: String) -> Bool {
        let paths = ([name.partName] + finalNameCandidates(name)).map { folder + "/" + $0 }
        return paths.contains { path in PartFile.source(of: path).map { $0 != url } ?? false }
    }

    /// Where a finished file for `name` can be: its one name, or when the extension comes from
    /// `Content-Type`, the stem with any extension that can give.
    private static func finalNameCandidates(_ name: PlannedName) -> [String] {
        if name.fileExtension != nil { return [name.fileName(contentTypeExtension: nil)] }
        return FileNaming.knownContentTypeExtensions.sorted().map { name.fileName(contentTypeExtension: $0) } + [name.stem]
    }

    private func path(_ name: String) -> String {
        item.folder.hasSuffix("/") ? item.folder + name : item.folder + "/" + name
    }

    func run() async -> FetchResult {
        let start = monotonicSeconds()
        var result = FetchResult(url: item.request.url, path: path(name.fileName(contentTypeExtension: nil)), bytes: 0,
                                 status: nil, attempts: 0, seconds: 0, disposition: .failed, error: nil)
        if settings.force {
            unlink(partPath)
        } else if item.mayFindEarlierFiles, let complete = existingCompleteFile() {
            result.path = complete.path
            result.bytes = complete.size
            result.disposition = .skipped
            result.seconds = monotonicSeconds() - start
            return result
        }
        let attempts = 1 + max(0, settings.retry.retries)
        for attempt in 1...attempts {
            result.attempts = attempt
            do {
                let outcome = try await attemptOnce()
                result.path = outcome.path
                result.bytes = outcome.bytes
                result.status = outcome.status
                result.disposition = outcome.resumed ? .resumed : .downloaded
                result.error = nil
                break
            } catch let failure as AttemptFailure {
                result.status = failure.status ?? result.status
                result.error = failure.message
                guard failure.retryable, attempt < attempts, !Task.isCancelled else { break }
                let wait = settings.retry.delay(afterAttempt: attempt, retryAfter: failure.retryAfter)
                let announced = RetryWait(attempt: attempt, seconds: wait,
                                          reason: settings.retry.reason(for: wait, after: failure.message, retryAfter: failure.retryAfter))
                result.waits.append(announced)
                onWait?(item.index, announced)
                do {
                    try await Task.sleep(for: .seconds(wait))
                } catch {
                    result.error = "cancelled"
                    break
                }
            } catch {
                result.error = "\(error)"
                break
            }
        }
        if result.error != nil {
            result.disposition = .failed
            result.bytes = fileSize(partPath) ?? 0
        }
        result.seconds = monotonicSeconds() - start
        return result
    }

    /// A finished file from an earlier run (found under its final name, so it was complete when
    /// it was renamed there) that also matches the checksum when one is given.
    private func existingCompleteFile() -> (path: String, size: Int)? {
        for name in Self.finalNameCandidates(name) {
            let candidate = path(name)
            guard let size = fileSize(candidate) else { continue }
            if let expected = item.request.sha256 {
                guard (try? FileChecksum.sha256(ofFile: candidate)) == expected else { continue }
            }
            return (candidate, size)
        }
        return nil
    }

    private struct AttemptOutcome {
        var path: String
        var bytes: Int
        var status: Int
        var resumed: Bool
    }

    /// One request and, when it answers well, the body into the part file and the rename.
    private func attemptOnce() async throws -> AttemptOutcome {
        let partSize = fileSize(partPath) ?? 0
        let validator = partSize > 0 ? PartFile.validator(of: partPath) : nil
        var request = HTTPClientRequest(url: item.request.url)
        request.headers.add(name: "User-Agent", value: "trenza-fetch/1")
        request.headers.add(name: "Accept-Encoding", value: "identity")
        // Without a validator there is no way to be sure the part file holds the beginning of
        // the same file the server has now: start over rather than splice two versions.
        let rangeRequested = validator != nil
        if let validator {
            request.headers.add(name: "Range", value: "bytes=\(partSize)-")
            request.headers.add(name: "If-Range", value: validator)
        }
        let client = clients.client(for: settings)
        let limiter = settings.perHost.map { clients.limiter(host: URLComponents(string: item.request.url)?.host ?? "", limit: $0) }
        if let limiter { await limiter.acquire() }
        defer { limiter?.release() }

        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: .distantFuture)
        } catch {
            throw AttemptFailure(transport: error, settings: settings, keptBytes: partSize > 0)
        }
        let status = Int(response.status.code)
        if (300..<400).contains(status), let location = response.headers.first(name: "Location"),
           let refused = Self.refusedRedirect(location, from: item.request.url) {
            throw AttemptFailure(message: refused, status: status, retryable: false, retryAfter: nil, keptBytes: partSize > 0)
        }
        if status >= 300 && !(rangeRequested && status == 416) {
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { RetryPolicy.parseRetryAfter($0) }
            throw AttemptFailure(message: "HTTP \(status) \(response.status.reasonPhrase)", status: status,
                                 retryable: RetryPolicy.isRetryable(status: status), retryAfter: retryAfter, keptBytes: partSize > 0)
        }
        let decision = ResumePlan.decide(partSize: partSize, rangeRequested: rangeRequested, status: status,
                                         contentRange: response.headers.first(name: "Content-Range"))
        let contentTypeExtension = response.headers.first(name: "Content-Type").flatMap(FileNaming.fileExtension(forContentType:))
        let finalPath = path(name.fileName(contentTypeExtension: contentTypeExtension))

        let part: PartFile
        switch decision {
        case .alreadyComplete:
            // An earlier run wrote these bytes and may have been killed before it flushed them:
            // on disk before the rename, like every other file.
            do {
                try await clients.sync(path: partPath)
            } catch let error as LocalFileError {
                throw AttemptFailure(message: error.description, status: status, retryable: false, retryAfter: nil, keptBytes: true)
            } catch {
                throw AttemptFailure(message: "cancelled", status: status, retryable: false, retryAfter: nil, keptBytes: true)
            }
            try await verifyAndFinish(status: status, finalPath: finalPath)
            return AttemptOutcome(path: finalPath, bytes: partSize, status: status, resumed: true)
        case .discardAndRetry:
            unlink(partPath)
            throw AttemptFailure(message: "the server's range answer (\(status), Content-Range \(response.headers.first(name: "Content-Range") ?? "missing")) does not fit the \(partSize) bytes already here; starting over",
                                 status: status, retryable: true, retryAfter: nil, keptBytes: false)
        case .append(let offset):
            part = try PartFile(path: partPath, appendingAt: offset)
        case .restart:
            part = try PartFile(path: partPath, appendingAt: nil)
            // The validator goes with the bytes it describes, so that a later run can ask for
            // the rest of exactly this version.
            part.setValidator(Self.validator(from: response.headers))
            part.setSource(item.request.url)
        }
        let startOffset = part.size
        let expectedLength = response.headers.first(name: "Content-Length").flatMap { Int($0) }
        let maximumSize = settings.maximumSize
        if let expectedLength, startOffset + expectedLength > maximumSize {
            part.close()
            unlink(partPath)
            throw AttemptFailure(message: "too large: the server announced \(startOffset + expectedLength) bytes, more than --max-size \(ByteSize.describe(maximumSize))",
                                 status: status, retryable: false, retryAfter: nil, keptBytes: false)
        }
        var received = 0
        do {
            defer { part.close() }
            do {
                for try await buffer in response.body {
                    guard startOffset + received + buffer.readableBytes <= maximumSize else {
                        throw SizeExceeded()
                    }
                    try part.write(buffer)
                    received += buffer.readableBytes
                    onBytes?(item.index, buffer.readableBytes)
                }
            } catch let error as LocalFileError {
                throw error
            } catch is SizeExceeded {
                // Bytes past the limit are of no use to anyone: nothing is kept, not even the part file.
                unlink(partPath)
                let announced = expectedLength.map { " (it announced \($0))" } ?? " without announcing a length"
                throw AttemptFailure(message: "too large: more than --max-size \(ByteSize.describe(maximumSize)) arrived\(announced); stopped and discarded",
                                     status: status, retryable: false, retryAfter: nil, keptBytes: false)
            } catch {
                throw AttemptFailure(transport: error, settings: settings, keptBytes: true, received: received, expected: expectedLength)
            }
            if let expectedLength, received != expectedLength {
                throw AttemptFailure(message: "the body ended after \(received) of \(expectedLength) bytes", status: status,
                                     retryable: true, retryAfter: nil, keptBytes: true)
            }
            // On the blocking-I/O threads: an fsync sleeps until the disk answers, and on the
            // cooperative pool (one thread per core) that sleep would hold back every other
            // download's responses and bytes.
            try await clients.sync(part)
        } catch let error as LocalFileError {
            throw AttemptFailure(message: error.description, status: status, retryable: false, retryAfter: nil, keptBytes: startOffset > 0)
        } catch is CancellationError {
            throw AttemptFailure(message: "cancelled", status: status, retryable: false, retryAfter: nil, keptBytes: true)
        }
        try await verifyAndFinish(status: status, finalPath: finalPath)
        return AttemptOutcome(path: finalPath, bytes: startOffset + received, status: status, resumed: startOffset > 0)
    }

    /// Checks the complete part file against the list's checksum, then gives it its final name.
    private func verifyAndFinish(status: Int, finalPath: String) async throws {
        if let expected = item.request.sha256 {
            let actual: String
            do {
                actual = try FileChecksum.sha256(ofFile: partPath)
            } catch {
                throw AttemptFailure(message: "\(error)", status: status, retryable: false, retryAfter: nil, keptBytes: false)
            }
            if actual != expected {
                unlink(partPath)
                throw AttemptFailure(message: "checksum mismatch: expected sha256 \(expected), got \(actual)", status: status,
                                     retryable: true, retryAfter: nil, keptBytes: false)
            }
        }
        do {
            try finish(partAt: partPath, into: finalPath)
        } catch {
            throw AttemptFailure(message: "\(error)", status: status, retryable: false, retryAfter: nil, keptBytes: true)
        }
        // The rename is done and the file complete: a failed folder flush only leaves the
        // rename less durable, as it always was (best effort).
        if !settings.syncFolderAfterBatch { _ = await clients.syncFolder(item.folder) }
    }

    /// Why a redirect to `location` was not followed, when its scheme is the reason: the HTTP
    /// client follows only http and https and otherwise hands back the bare 3xx.
    static func refusedRedirect(_ location: String, from url: String) -> String? {
        let target = URL(string: location, relativeTo: URL(string: url))?.absoluteURL
        let scheme = (target?.scheme ?? URLComponents(string: location)?.scheme)?.lowercased()
        guard let scheme, scheme != "http", scheme != "https" else { return nil }
        return "the server redirected to \(location): the scheme \(scheme): was refused (only http and https redirects are followed)"
    }

    /// A strong `ETag`, else `Last-Modified`: what `If-Range` accepts (weak ETags are not allowed there).
    static func validator(from headers: HTTPHeaders) -> String? {
        if let etag = headers.first(name: "ETag"), !etag.hasPrefix("W/") { return etag }
        return headers.first(name: "Last-Modified")
    }

    /// Renames the complete part file to its final name.
    private func finish(partAt part: String, into final: String) throws(LocalFileError) {
        PartFile.removeValidator(at: part)
        guard rename(part, final) == 0 else { throw LocalFileError(path: final, operation: "rename the finished download to", code: errno) }
    }
}

/// Why one attempt failed, and whether another could succeed.
struct AttemptFailure: Error {
    var message: String
    var status: Int?
    var retryable: Bool
    var retryAfter: Double?
    /// The part file holds bytes that a later attempt may resume from.
    var keptBytes: Bool

    init(message: String, status: Int?, retryable: Bool, retryAfter: Double?, keptBytes: Bool) {
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retryAfter = retryAfter
        self.keptBytes = keptBytes
    }

    /// A failure of the connection or of the HTTP exchange, named in a user's words.
    init(transport error: any Error, settings: FetchSettings, keptBytes: Bool, received: Int? = nil, expected: Int? = nil) {
        var retryable = true
        var message: String
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout: message = "could not connect within \(Self.seconds(settings.connectTimeout)) (--connect-timeout)"
            case .readTimeout: message = "no data for \(Self.seconds(settings.readTimeout)) (--timeout)"
            case .remoteConnectionClosed: message = "the server closed the connection early"
            case .redirectLimitReached:
                message = "more than \(settings.maximumRedirects) redirects"
                retryable = false
            case .redirectCycleDetected:
                message = "the redirects go round in a circle"
                retryable = false
            case .invalidURL, .emptyHost, .emptyScheme:
                message = "not a URL that can be downloaded"
                retryable = false
            case .cancelled:
                message = "cancelled"
                retryable = false
            default:
                message = client.description
                if client.description.contains("unsupportedScheme") { retryable = false }
            }
        } else if let io = error as? IOError {
            message = String(cString: strerror(io.errnoCode)).lowercased()
        } else if error is CancellationError {
            message = "cancelled"
            retryable = false
        } else {
            message = "\(error)"
        }
        if let received {
            message += expected.map { " after \(received) of \($0) bytes" } ?? " after \(received) bytes"
        }
        self.init(message: message, status: nil, retryable: retryable, retryAfter: nil, keptBytes: keptBytes)
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.3g s", value)
    }
}

/// The body went past ``FetchSettings/maximumSize``.
private struct SizeExceeded: Error {}

/// A failure on the local disk: not the network's fault, so not worth a retry.
struct LocalFileError: Error, CustomStringConvertible {
    var path: String
    var operation: String
    var code: Int32
    var description: String { "cannot \(operation) \(path): \(String(cString: strerror(code)))" }
}

/// The size of a regular file, or `nil` when there is none.
func fileSize(_ path: String) -> Int? {
    var info = stat()
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int(info.st_size)
}

/// Checksums of files on disk.
public enum FileChecksum {
    /// The lower-case hex SHA-256 of a file, read in 1 MiB pieces so that memory stays flat.
    public static func sha256(ofFile path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LocalFileError(path: path, operation: "read", code: errno) }
        defer { Glibc.close(fd) }
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw LocalFileError(path: path, operation: "read", code: errno)
            }
            if count == 0 { break }
            chunk.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return FileNaming.hex(hasher.finalize())
    }
}
