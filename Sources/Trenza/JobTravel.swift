import CTrenzaSystem

#if canImport(Glibc)
import Glibc
#endif

/// How a job type and its value reach a worker process: by the type's runtime name and the
/// value's encoding, so the worker runs exactly the value the caller passed, with no registry.
///
/// A worker is the same executable started again, so every type the parent can name exists in
/// it too, and `_typeByName` finds it. Private types are the exception: the runtime names them by
/// the address of an anonymous context (`$55ced25a2354`), which it cannot look up, and which ASLR
/// moves between processes. For those the type's metadata address is sent relative to an anchor
/// in the same image, together with the image file's identity; a worker running that very file
/// finds the metadata at the same offset from its own anchor, and checks the name it reads there.
package enum JobTravel {
    /// What a worker needs to rebuild one job value.
    struct Parcel: Sendable, Hashable {
        var typeName: String
        /// The parent's ``trenza_image_anchor()``, to translate addresses in `typeName`.
        var anchor: UInt64
        /// The job value's encoding, or `nil` for a stateless job with no stored properties.
        var value: [UInt8]?
        /// For a private type: its metadata's offset from the anchor, and the image file's identity.
        var metadataOffset: Int64? = nil
        var image = ""
    }

    /// Packs `job` for a worker, or explains why it cannot travel.
    static func parcel<J: Job>(for job: J) throws(JobTravelError) -> Parcel {
        var parcel = Parcel(typeName: try portableName(of: J.self), anchor: anchorAddress, value: try encodedValue(of: job))
        try locatePrivateType(J.self, in: &parcel)
        return parcel
    }

    /// Packs a per-worker setup value.
    static func parcel<S: WorkerSetup>(for setup: S) throws(JobTravelError) -> Parcel {
        let value: [UInt8]
        do {
            value = try BinaryCodec.encode(setup)
        } catch {
            throw JobTravelError("cannot encode the worker setup \(S.self): \(error)")
        }
        var parcel = Parcel(typeName: try portableName(of: S.self), anchor: anchorAddress, value: value)
        try locatePrivateType(S.self, in: &parcel)
        return parcel
    }

    /// Records where a private type's metadata sits, relative to the anchor; refuses a private
    /// type whose metadata is made at run time (a generic one) or lives in another image.
    private static func locatePrivateType(_ type: Any.Type, in parcel: inout Parcel) throws(JobTravelError) {
        guard parcel.typeName.contains("$") else { return }
        let metadata = unsafeBitCast(type, to: UnsafeRawPointer.self)
        var base: UnsafeRawPointer?, anchorBase: UnsafeRawPointer?
        var path: UnsafePointer<CChar>?
        guard trenza_image_of(trenza_image_anchor(), &anchorBase, &path) == 0,
              trenza_image_of(metadata, &base, &path) == 0, base == anchorBase else {
            throw JobTravelError(
                "job \(type) is a private (or local) type whose runtime description a worker process cannot find: "
                    + "declare it internal or public (without `private`), at file scope")
        }
        parcel.metadataOffset = Int64(Int(bitPattern: metadata) &- Int(bitPattern: trenza_image_anchor()))
        parcel.image = imageIdentity
    }

    /// The device, inode, size and modification time of the file this image was loaded from.
    static let imageIdentity: String = {
        var base: UnsafeRawPointer?
        var path: UnsafePointer<CChar>?
        guard trenza_image_of(trenza_image_anchor(), &base, &path) == 0, let path else { return "" }
        var info = stat()
        let file = String(cString: path)
        let resolved = file.isEmpty || !file.hasPrefix("/") ? "/proc/self/exe" : file
        guard stat(resolved, &info) == 0 else { return "" }
        return "\(info.st_dev):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec)"
    }()

    static var anchorAddress: UInt64 { UInt64(UInt(bitPattern: trenza_image_anchor())) }

    /// The encoding of `job`'s value, `nil` for a type without stored properties (it has one
    /// value), or why the value cannot travel to another process.
    package static func encodedValue<J: Job>(of job: J) throws(JobTravelError) -> [UInt8]? {
        if let encodable = job as? any Encodable, J.self is any Decodable.Type {
            do {
                return try BinaryCodec.encode(encodable)
            } catch {
                throw JobTravelError("cannot encode the job value \(J.self) for a worker process: \(error)")
            }
        }
        // Every value of a type without stored properties is the same value.
        if MemoryLayout<J>.size == 0 { return nil }
        throw JobTravelError(
            "job \(J.self) has stored properties but is not Codable, so a worker process could not run the same value: "
                + "declare it `Codable` (properties that cannot travel, such as callbacks or clients, can be left out "
                + "of its coding and made again in the worker), or use the threads or async engine")
    }

    /// The job value ``encodedValue(of:)`` encoded, rebuilt in another process.
    package static func rebuild<J: Job>(_ type: J.Type, from value: [UInt8]?) throws(JobTravelError) -> J {
        guard let value else {
            guard MemoryLayout<J>.size == 0 else { throw JobTravelError("\(J.self) arrived without its value") }
            // A type without stored properties has exactly one value, and no bits to set.
            return unsafeBitCast((), to: J.self)
        }
        guard let decodable = J.self as? any Decodable.Type else {
            throw JobTravelError("\(J.self) arrived encoded but is not Decodable")
        }
        do {
            return try BinaryCodec.decode(decodable, from: value[...]) as! J
        } catch {
            throw JobTravelError("the value of \(J.self) does not decode: \(error)")
        }
    }

    /// The runtime name of `type`.
    static func portableName(of type: Any.Type) throws(JobTravelError) -> String {
        guard let name = _mangledTypeName(type) else {
            throw JobTravelError("the type \(type) has no runtime name a worker process could look up")
        }
        return name
    }

    /// Looks up a type named by ``portableName(of:)`` in another process of the same executable.
    static func resolve(_ parcel: Parcel) -> Any.Type? {
        guard let offset = parcel.metadataOffset else { return _typeByName(parcel.typeName) }
        // Only the very same file has the metadata at the same offset.
        guard !parcel.image.isEmpty, parcel.image == imageIdentity else { return nil }
        let address = Int(bitPattern: trenza_image_anchor()) &+ Int(offset)
        guard let pointer = UnsafeRawPointer(bitPattern: address) else { return nil }
        let type = unsafeBitCast(pointer, to: Any.Type.self)
        return _mangledTypeName(type) == translatedName(parcel) ? type : nil
    }

    /// The parcel's type name with its anonymous-context addresses moved to this process.
    private static func translatedName(_ parcel: Parcel) -> String {
        var name = parcel.typeName
        if name.contains("$") {
            let delta = anchorAddress &- parcel.anchor
            // Later references first, so earlier ranges stay valid while replacing.
            for reference in addressReferences(in: name).reversed() {
                let moved = String(reference.address &+ delta, radix: 16)
                name.replaceSubrange(reference.range, with: "\(moved.utf8.count + 1)$\(moved)")
            }
        }
        return name
    }

    /// Identifiers of the form `<length>$<hex address>` in a runtime type name.
    private static func addressReferences(in name: String) -> [(range: Range<String.Index>, address: UInt64)] {
        var found: [(Range<String.Index>, UInt64)] = []
        var cursor = name.startIndex
        while let dollar = name[cursor...].firstIndex(of: "$") {
            let hexStart = name.index(after: dollar)
            let hexEnd = name[hexStart...].firstIndex { !$0.isHexDigit } ?? name.endIndex
            let hex = name[hexStart..<hexEnd]
            // The identifier's decimal length sits right before "$" and counts "$" too.
            let lengthText = String(hex.count + 1)
            if let address = UInt64(hex, radix: 16),
               name[..<dollar].hasSuffix(lengthText) {
                let start = name.index(dollar, offsetBy: -lengthText.count)
                found.append((start..<hexEnd, address))
            }
            cursor = hexEnd
        }
        return found
    }
}

/// A job (or worker setup) that cannot be sent to a worker process; the message says why and
/// what to change.
public struct JobTravelError: Error, CustomStringConvertible, Sendable {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
