/// Which job a chunk needs: its registered name and a version the job's author bumps when its
/// input or output format changes, so a worker built from older code never claims work it would
/// misread.
public struct JobKey: Hashable, Sendable, Codable, CustomStringConvertible {
    public var name: String
    public var version: Int

    public init(_ name: String, version: Int = 1) {
        self.name = name
        self.version = version
    }

    public var description: String { "\(name)@\(version)" }
}
