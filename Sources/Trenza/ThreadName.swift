import CTrenzaSystem

/// The calling OS thread's name, as logs, `top -H` and debuggers show it.
///
/// Foundation's `Thread.name` is not visible through `Thread.current` on Linux, so Trenza names
/// its threads at the system level instead.
package enum ThreadName {
    /// The calling thread's name (at most 15 bytes).
    package static var current: String {
        var buffer = [CChar](repeating: 0, count: 32)
        guard trenza_thread_name(&buffer, Int32(buffer.count)) == 0 else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Names the calling thread; names longer than 15 bytes are cut.
    package static func set(_ name: String) {
        _ = trenza_set_thread_name(name)
    }
}
