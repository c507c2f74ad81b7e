import Foundation
import HTTPTypes
import Hummingbird

#if canImport(Glibc)
import Glibc
#endif

/// `--files DIR`: the folder's regular files, read-only, under `/files/…`, with ranges and
/// validators like every other body of this server.
///
/// A request names a file inside the folder or gets 404: `..` and `.` segments, encoded slashes
/// and NUL bytes are refused before the file system is asked, and the path the system resolves
/// (following every symbolic link) must still be inside the folder, so a link pointing out of it
/// is not followed. Directories, devices and FIFOs are not served.
struct FileRoutes: Sendable {
    /// The folder, fully resolved, with no trailing slash.
    let root: String
    private let fileIO = FileIO()

    /// `nil` when `directory` is not an existing directory.
    init?(directory: String) {
        guard let resolved = Self.resolve(directory) else { return nil }
        var status = stat()
        guard stat(resolved, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { return nil }
        root = resolved == "/" ? "" : resolved
    }

    func register(on router: Router<ServerContext>) {
        router.get("/files/**") { request, context in
            guard let (path, status) = locate(context.parameters.getCatchAll()) else {
                throw HTTPError(.notFound)
            }
            let size = Int(status.st_size)
            let modified = Date(timeIntervalSince1970: Double(status.st_mtim.tv_sec))
            let nanoseconds = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
            return try await Representation(
                length: size,
                contentType: Self.contentType(of: path),
                etag: "\"\(String(size, radix: 16))-\(String(nanoseconds, radix: 16))\"",
                lastModified: modified,
                body: { range in
                    try await fileIO.loadFile(path: path, range: range.lowerBound...(range.upperBound - 1), context: context)
                }
            ).response(to: request)
        }
    }

    /// The resolved path and status of the regular file the segments name inside the folder.
    func locate(_ segments: [Substring]) -> (String, stat)? {
        var components: [String] = []
        for segment in segments {
            guard let decoded = String(segment).removingPercentEncoding,
                  !decoded.isEmpty, decoded != ".", decoded != "..",
                  !decoded.contains("/"), !decoded.contains("\0")
            else { return nil }
            components.append(decoded)
        }
        guard !components.isEmpty, let resolved = Self.resolve(root + "/" + components.joined(separator: "/")),
              resolved.hasPrefix(root + "/")
        else { return nil }
        var status = stat()
        guard stat(resolved, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        return (resolved, status)
    }

    private static func resolve(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static let contentTypes: [String: String] = [
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
        "webp": "image/webp", "svg": "image/svg+xml", "html": "text/html; charset=utf-8",
        "txt": "text/plain; charset=utf-8", "json": "application/json", "css": "text/css",
        "js": "text/javascript", "pdf": "application/pdf", "zip": "application/zip",
        "gz": "application/gzip", "tar": "application/x-tar", "csv": "text/csv",
    ]

    static func contentType(of path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "application/octet-stream" }
        return contentTypes[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }
}
