#if canImport(Glibc)
import Glibc
#endif

/// Starts a joinable POSIX thread, reporting the system's refusal instead of ignoring it
/// (Foundation's `Thread.start()` cannot fail visibly, which under a process limit hangs
/// whoever waits for that thread).
func startThread(name: String, _ body: @escaping @Sendable () -> Void) -> Result<pthread_t, ThreadStartError> {
    final class Box { let body: @Sendable () -> Void; let name: String; init(_ body: @escaping @Sendable () -> Void, _ name: String) { self.body = body; self.name = name } }
    let box = Unmanaged.passRetained(Box(body, name)).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue() as! Box
        ThreadName.set(box.name)
        box.body()
        return nil
    }, box)
    if status != 0 {
        Unmanaged<AnyObject>.fromOpaque(box).release()
        return .failure(ThreadStartError(code: status))
    }
    return .success(thread)
}

/// The system refused a thread; `code` is the error number (EAGAIN under a process limit).
struct ThreadStartError: Error {
    var code: Int32
}
