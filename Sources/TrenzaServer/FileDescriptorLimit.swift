#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open files, which bounds how many connections it can hold.
public enum FileDescriptorLimit {
    /// Raises the soft limit to the hard one (each connection is a descriptor) and returns it.
    @discardableResult
    public static func raise() -> Int {
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        // "Unlimited" is not a number of descriptors anyone can open.
        return Int(min(limit.rlim_cur, 1 << 20))
    }

    /// Descriptors kept back for the server's own work (its listening socket, event loops,
    /// files under `/files/`, logs): a tenth of the limit, at least 64.
    public static func reserve(forLimit limit: Int) -> Int {
        max(64, limit / 10)
    }

    /// The most connections a server can hold with `limit` descriptors and the reserve kept.
    public static func connectionCapacity(forLimit limit: Int) -> Int {
        max(1, limit - reserve(forLimit: limit))
    }
}
