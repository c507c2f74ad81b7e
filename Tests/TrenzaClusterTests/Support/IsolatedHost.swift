import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A second "machine" on this one: a network namespace joined to ours by a veth pair on
/// 198.18.0.0/30 (a range set aside for benchmarks, RFC 2544), whose link can be cut and
/// restored as a network partition would.
final class IsolatedHost: Sendable {
    let namespace: String
    /// Our end of the pair, and the address the namespace reaches us on.
    let ourInterface: String
    let ourAddress = "198.18.0.1"
    let theirAddress = "198.18.0.2"
    private let theirInterface: String

    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Why this machine cannot have one, or nil when it can.
    static var unavailableReason: String? {
        guard geteuid() == 0 else { return "network namespaces need root" }
        guard let ip else { return "the ip command (iproute2) is not installed" }
        // Never take addresses the machine already uses.
        guard let addresses = try? run(ip, ["-4", "addr"]) else { return "ip -4 addr failed" }
        if addresses.contains("inet 198.18.0.") { return "198.18.0.0/30 is in use on this machine" }
        return nil
    }

    init() throws {
        let tag = String(getpid() % 100_000)
        namespace = "trenza-part-\(tag)"
        ourInterface = "tzh\(tag)"
        theirInterface = "tzn\(tag)"
        guard let ip = Self.ip else { throw IsolatedHostError(Self.unavailableReason ?? "no ip command") }
        do {
            try Self.run(ip, ["netns", "add", namespace])
            try Self.run(ip, ["link", "add", ourInterface, "type", "veth", "peer", "name", theirInterface])
            try Self.run(ip, ["link", "set", theirInterface, "netns", namespace])
            try Self.run(ip, ["addr", "add", "\(ourAddress)/30", "dev", ourInterface])
            try Self.run(ip, ["link", "set", ourInterface, "up"])
            try Self.run(ip, ["netns", "exec", namespace, ip, "addr", "add", "\(theirAddress)/30", "dev", theirInterface])
            try Self.run(ip, ["netns", "exec", namespace, ip, "link", "set", theirInterface, "up"])
            try Self.run(ip, ["netns", "exec", namespace, ip, "link", "set", "lo", "up"])
        } catch {
            remove()
            throw error
        }
    }

    /// The launcher that runs a program inside the namespace.
    var launcher: [String] { [Self.ip ?? "ip", "netns", "exec", namespace] }

    /// Takes our end of the link down: packets between the two are lost, connections stay open.
    func cut() throws { try Self.run(Self.ip ?? "ip", ["link", "set", ourInterface, "down"]) }

    func restore() throws { try Self.run(Self.ip ?? "ip", ["link", "set", ourInterface, "up"]) }

    func remove() {
        guard let ip = Self.ip else { return }
        // Deleting one end deletes the pair.
        _ = try? Self.run(ip, ["link", "del", ourInterface])
        _ = try? Self.run(ip, ["netns", "del", namespace])
    }

    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw IsolatedHostError("\(program) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus): \(text)")
        }
        return text
    }
}

struct IsolatedHostError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
