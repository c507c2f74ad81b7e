import Foundation
import CTrenzaXattr
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The `.part` file a download streams into: opened for appending at a known offset, written
/// chunk by chunk as the bytes arrive (memory stays flat whatever the size), flushed to disk
/// before it is renamed.
///
/// The response's validator (`ETag` or `Last-Modified`) is kept in an extended attribute of the
/// file itself, so that it cannot be separated from the bytes it describes; so is the URL, which
/// stays on the finished file and tells a later run whose file it is. On a file system without
/// extended attributes a part file simply cannot be resumed and is downloaded again.
final class PartFile {
    static let validatorAttribute = "user.trenza.validator"
    static let sourceAttribute = "user.trenza.url"

    private var descriptor: Int32
    private(set) var size: Int
    let path: String

    /// Opens `path` to write from `offset` (the bytes before it are kept), or from the start of
    /// an emptied file when `offset` is `nil`.
    init(path: String, appendingAt offset: Int?) throws(LocalFileError) {
        self.path = path
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (offset == nil ? O_TRUNC : 0)
        descriptor = open(path, flags, 0o644)
        guard descriptor >= 0 else { throw LocalFileError(path: path, operation: "create", code: errno) }
        size = offset ?? 0
        if let offset {
            // Bytes past the offset (a write that raced a kill) are not part of the agreed prefix.
            guard ftruncate(descriptor, off_t(offset)) == 0, lseek(descriptor, off_t(offset), SEEK_SET) >= 0 else {
                let code = errno
                Glibc.close(descriptor)
                throw LocalFileError(path: path, operation: "resume", code: code)
            }
        }
    }

    deinit { close() }

    func write(_ buffer: ByteBuffer) throws(LocalFileError) {
        let failure: Int32? = buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let failure { throw LocalFileError(path: path, operation: "write", code: failure) }
        size += buffer.readableBytes
    }

    /// The open descriptor, for flushing it on another thread while this object waits.
    var fileDescriptor: Int32 { descriptor }

    func close() {
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }

    func setValidator(_ validator: String?) {
        set(Self.validatorAttribute, validator)
    }

    func setSource(_ url: String) {
        set(Self.sourceAttribute, url)
    }

    private func set(_ attribute: String, _ value: String?) {
        guard let value else {
            fremovexattr(descriptor, attribute)
            return
        }
        _ = Array(value.utf8).withUnsafeBytes { fsetxattr(descriptor, attribute, $0.baseAddress, $0.count, 0) }
    }

    static func validator(of path: String) -> String? { attribute(validatorAttribute, of: path) }

    /// The URL a part or finished file was downloaded from, when a download of ours wrote it.
    static func source(of path: String) -> String? { attribute(sourceAttribute, of: path) }

    private static func attribute(_ name: String, of path: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 8192)
        let count = buffer.withUnsafeMutableBytes { getxattr(path, name, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    static func removeValidator(at path: String) {
        removexattr(path, validatorAttribute)
    }
}
