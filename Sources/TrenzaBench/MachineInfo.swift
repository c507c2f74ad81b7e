import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The machine a report was measured on: figures mean little without it.
public struct MachineInfo: Codable, Sendable, Equatable {
    public var cores: Int
    public var memoryBytes: UInt64
    /// The distribution's name (`PRETTY_NAME` of /etc/os-release) or the system's name.
    public var operatingSystem: String
    public var kernel: String
    public var cpuModel: String?
    /// The compiler Trenza was built with, as far as the binary itself can tell (see ``compilerVersion``).
    public var swiftVersion: String
    /// `debug` or `release`: debug figures are not worth quoting.
    public var buildConfiguration: String
    /// When the run started, ISO 8601 in UTC.
    public var date: String
    /// The one-minute load average when the run started: above the core count, other programs
    /// were competing for the cores and every figure is slower and noisier than it could be.
    public var loadAverage: Double?

    public init(cores: Int, memoryBytes: UInt64, operatingSystem: String, kernel: String, cpuModel: String?,
                swiftVersion: String, buildConfiguration: String, date: String, loadAverage: Double? = nil) {
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.operatingSystem = operatingSystem
        self.kernel = kernel
        self.cpuModel = cpuModel
        self.swiftVersion = swiftVersion
        self.buildConfiguration = buildConfiguration
        self.date = date
        self.loadAverage = loadAverage
    }

    /// This machine, now.
    public static func current(date: Date = Date()) -> MachineInfo {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return MachineInfo(cores: ProcessInfo.processInfo.activeProcessorCount,
                           memoryBytes: ProcessInfo.processInfo.physicalMemory,
                           operatingSystem: osReleaseName() ?? ProcessInfo.processInfo.operatingSystemVersionString,
                           kernel: kernelRelease(), cpuModel: cpuModel(), swiftVersion: compilerVersion,
                           buildConfiguration: buildConfiguration, date: formatter.string(from: date), loadAverage: oneMinuteLoad())
    }

    /// The toolchain is not there at run time on a user's machine (`swift --version` may not
    /// exist), so the version is fixed when this file is compiled, as precisely as `#if compiler`
    /// can tell.
    public static var compilerVersion: String {
        #if compiler(>=6.4)
        "6.4 or later"
        #elseif compiler(>=6.3.2)
        "6.3.2 or a later 6.3"
        #elseif compiler(>=6.3.1)
        "6.3.1"
        #elseif compiler(>=6.3)
        "6.3.0"
        #elseif compiler(>=6.2)
        "6.2"
        #elseif compiler(>=6.1)
        "6.1"
        #else
        "6.0"
        #endif
    }

    public static var buildConfiguration: String {
        #if DEBUG
        "debug"
        #else
        "release"
        #endif
    }

    private static func oneMinuteLoad() -> Double? {
        var loads = [Double](repeating: 0, count: 3)
        return getloadavg(&loads, 3) > 0 ? loads[0] : nil
    }

    /// True when more programs wanted to run than there are cores.
    public var wasBusy: Bool { (loadAverage ?? 0) >= Double(cores) }

    private static func osReleaseName() -> String? {
        guard let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }
        return nil
    }

    private static func kernelRelease() -> String {
        var names = utsname()
        guard uname(&names) == 0 else { return "unknown" }
        let field: (UnsafeRawPointer) -> String = { String(cString: $0.assumingMemoryBound(to: CChar.self)) }
        let system = withUnsafeBytes(of: &names.sysname) { field($0.baseAddress!) }
        let release = withUnsafeBytes(of: &names.release) { field($0.baseAddress!) }
        let machine = withUnsafeBytes(of: &names.machine) { field($0.baseAddress!) }
        return "\(system) \(release) \(machine)"
    }

    private static func cpuModel() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}
