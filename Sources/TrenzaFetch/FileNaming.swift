import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The file name chosen for one URL before it is downloaded.
///
/// When the URL does not say what kind of file it is (`/id/1/800/600`), the extension comes from
/// the response's `Content-Type`, so the final name is only known once the headers arrive; the
/// stem, which is what makes names unique, is always fixed in advance.
public struct PlannedName: Codable, Sendable, Hashable {
    /// The name without its extension, unique (case-insensitively) within the batch.
    public var stem: String
    /// The extension from the URL (without the dot), or `nil` to take it from `Content-Type`.
    public var fileExtension: String?

    public init(stem: String, fileExtension: String?) {
        self.stem = stem
        self.fileExtension = fileExtension
    }

    /// The final name, given the extension chosen from `Content-Type` when the URL had none.
    public func fileName(contentTypeExtension: String?) -> String {
        let chosen = fileExtension ?? contentTypeExtension
        guard let chosen, !chosen.isEmpty else { return stem }
        return stem + "." + chosen
    }

    /// Where the bytes accumulate until the file is complete: fixed before the response, so that
    /// a later run finds it and resumes.
    public var partName: String {
        (fileExtension.map { stem + "." + $0 } ?? stem) + ".part"
    }
}

/// Chooses collision-free, stable names for a batch of URLs.
///
/// - The URL's last path segment when it has an extension: `…/photos/cat.jpg` → `cat.jpg`.
/// - Otherwise a readable name from the path, the extension from `Content-Type`:
///   `/id/1/800/600` → `id-1-800-600` (+ `.jpg`).
/// - Two different URLs that would get the same name (compared without case, so that the names
///   also stay apart on macOS) each get a short hash of their URL: `cat-3f9a1c0e.jpg`.
///
/// The same list always gives the same names, in any order and in any process: the hash is
/// SHA-256, not Swift's per-process randomised `Hasher` (the tutorial's `hash(url) % 10000`
/// fails both ways).
public enum FileNaming {
    /// Names longer than this are cut: most file systems refuse names over 255 bytes, and the
    /// stem needs room for a hash, an extension and `.part`.
    static let maximumStemBytes = 180

    /// Placeholders a `--name-template` may use; the extension is appended after it.
    public static let templatePlaceholders = ["{name}", "{host}", "{index}", "{hash}"]

    /// A template that uses no known placeholder, or an unknown one, with the reason.
    public struct TemplateError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Checks a `--name-template`: it must use at least one placeholder and only known ones.
    public static func validate(template: String) throws(TemplateError) {
        var rest = Substring(template)
        var used = false
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw TemplateError(description: "--name-template: unclosed \"{\" in \(template)")
            }
            let placeholder = String(rest[open...close])
            guard templatePlaceholders.contains(placeholder) else {
                throw TemplateError(description: "--name-template: unknown placeholder \(placeholder) (known: \(templatePlaceholders.joined(separator: ", ")))")
            }
            used = true
            rest = rest[rest.index(after: close)...]
        }
        guard used else {
            throw TemplateError(description: "--name-template must use at least one of \(templatePlaceholders.joined(separator: ", ")), or every URL would get the same name")
        }
        if template.contains("/") { throw TemplateError(description: "--name-template makes file names, not folders: no \"/\"") }
    }

    /// One name per URL, in order. `urls` should hold no repeats (``DownloadList/removingDuplicates(_:)``):
    /// a repeated URL would get the same name twice.
    public static func plan(_ urls: [String], template: String? = nil) -> [PlannedName] {
        var names = urls.enumerated().map { index, url in
            var name = automaticName(for: url)
            if let template { name.stem = render(template, automatic: name.stem, url: url, index: index) }
            return name
        }
        // Clashes are settled by stem: a stem whose extension comes later from Content-Type
        // might end up with any extension, so it cannot share a stem with anything.
        var hashLength = 8
        var clashing = Set(clashingIndices(names))
        var suffixed = names
        while !clashing.isEmpty, hashLength <= 64 {
            suffixed = names
            for index in clashing {
                suffixed[index].stem = fit(names[index].stem, reserving: hashLength + 1) + "-" + urlHash(urls[index], length: hashLength)
            }
            // A longer hash in the unlikely case that two short hashes (or a hash and a real
            // name) meet again.
            let remaining = clashingIndices(suffixed)
            if remaining.isEmpty { break }
            clashing.formUnion(remaining)
            hashLength += 4
        }
        names = suffixed
        return names
    }

    /// The name for `url` alone, before clashes are considered.
    public static func automaticName(for url: String) -> PlannedName {
        let components = URLComponents(string: url)
        let segments = (components?.percentEncodedPath ?? "")
            .split(separator: "/", omittingEmptySubsequences: true)
            .map { sanitize($0.removingPercentEncoding ?? String($0)) }
            .filter { !$0.isEmpty }
        if let last = segments.last, let dot = last.lastIndex(of: "."), dot != last.startIndex {
            let fileExtension = String(last[last.index(after: dot)...])
            if (1...10).contains(fileExtension.count), fileExtension.allSatisfy({ $0.isLetter || $0.isNumber }) {
                return PlannedName(stem: fit(String(last[..<dot]), reserving: 0), fileExtension: fileExtension.lowercased())
            }
        }
        let stem = segments.isEmpty ? "index" : segments.joined(separator: "-")
        return PlannedName(stem: fit(stem, reserving: 0), fileExtension: nil)
    }

    /// The extension for a `Content-Type` (parameters ignored), or `nil` for an unknown type.
    public static func fileExtension(forContentType contentType: String) -> String? {
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return contentTypeExtensions[mediaType]
    }

    /// Every extension ``fileExtension(forContentType:)`` can produce: where a previous run may
    /// have put a finished file whose extension came from `Content-Type`.
    public static var knownContentTypeExtensions: Set<String> { Set(contentTypeExtensions.values) }

    private static let contentTypeExtensions: [String: String] = [
        "image/jpeg": "jpg", "image/jpg": "jpg", "image/pjpeg": "jpg", "image/png": "png", "image/gif": "gif",
        "image/webp": "webp", "image/avif": "avif", "image/svg+xml": "svg", "image/bmp": "bmp", "image/tiff": "tiff",
        "image/x-icon": "ico", "image/vnd.microsoft.icon": "ico",
        "text/html": "html", "text/plain": "txt", "text/csv": "csv", "text/css": "css", "text/markdown": "md",
        "text/xml": "xml", "application/xml": "xml", "application/json": "json", "application/javascript": "js",
        "text/javascript": "js", "application/pdf": "pdf", "application/zip": "zip", "application/gzip": "gz",
        "application/x-gzip": "gz", "application/x-tar": "tar", "application/x-xz": "xz", "application/zstd": "zst",
        "application/octet-stream": "bin", "audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/wav": "wav",
        "video/mp4": "mp4", "video/webm": "webm",
    ]

    /// A path segment made safe as a file name: no control characters, no slashes, no leading dot
    /// (a hidden file, or `..`).
    static func sanitize(_ segment: String) -> String {
        var text = String(segment.unicodeScalars.map { scalar -> Character in
            if scalar.properties.generalCategory == .control || scalar == "/" || scalar == "\\" || scalar == ":" { return "_" }
            return Character(scalar)
        })
        while text.hasPrefix(".") { text.removeFirst() }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// `stem` cut to fit the byte budget, on a character boundary, leaving `reserving` bytes.
    static func fit(_ stem: String, reserving: Int) -> String {
        let budget = maximumStemBytes - reserving
        guard stem.utf8.count > budget else { return stem }
        var cut = ""
        for character in stem {
            if cut.utf8.count + character.utf8.count > budget { break }
            cut.append(character)
        }
        return cut
    }

    /// The first `length` hex digits of the URL's SHA-256.
    public static func urlHash(_ url: String, length: Int = 8) -> String {
        let digest = SHA256.hash(data: Data(url.utf8))
        return String(hex(digest).prefix(length))
    }

    /// Every stem a file in `folder` could have been named from: each entry's whole name and
    /// each part of it before a dot (`a.b.jpg.part` gives `a`, `a.b`, `a.b.jpg` and the name).
    /// Empty when the folder does not exist; `nil` when it cannot be read, so that callers
    /// look for every name as if anything could be there.
    static func stemsPresent(in folder: String) -> Set<String>? {
        guard let directory = opendir(folder) else { return errno == ENOENT ? [] : nil }
        defer { closedir(directory) }
        var stems: Set<String> = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                // A listing cut short by an error could hide exactly the file that matters.
                if errno != 0 { return nil }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            stems.insert(name)
            var prefix = Substring(name)
            while let dot = prefix.lastIndex(of: ".") {
                prefix = prefix[..<dot]
                stems.insert(String(prefix))
            }
        }
        return stems
    }

    /// Lower-case hex digits of `bytes`. (`String(format: "%02x")` per byte goes through
    /// CoreFoundation's formatter: with every URL of a list clashing, as `/bytes/N?seed=S` lists
    /// do, it was a visible part of planning a batch.)
    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func render(_ template: String, automatic: String, url: String, index: Int) -> String {
        let host = URLComponents(string: url)?.host ?? "host"
        let rendered = template
            .replacingOccurrences(of: "{name}", with: automatic)
            .replacingOccurrences(of: "{host}", with: sanitize(host))
            .replacingOccurrences(of: "{index}", with: String(index + 1))
            .replacingOccurrences(of: "{hash}", with: urlHash(url))
        let safe = sanitize(rendered)
        return fit(safe.isEmpty ? "index" : safe, reserving: 0)
    }

    /// Indices of names that share a stem with a Content-Type name, or a whole name with another.
    private static func clashingIndices(_ names: [PlannedName]) -> [Int] {
        var byStem: [String: [Int]] = [:]
        for (index, name) in names.enumerated() { byStem[name.stem.lowercased(), default: []].append(index) }
        var clashing: [Int] = []
        for group in byStem.values where group.count > 1 {
            if group.contains(where: { names[$0].fileExtension == nil }) {
                clashing.append(contentsOf: group)
                continue
            }
            var byName: [String: [Int]] = [:]
            for index in group { byName[names[index].fileName(contentTypeExtension: nil).lowercased(), default: []].append(index) }
            for sameName in byName.values where sameName.count > 1 { clashing.append(contentsOf: sameName) }
        }
        return clashing
    }
}
