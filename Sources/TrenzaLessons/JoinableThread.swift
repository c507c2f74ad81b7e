import Foundation
import Trenza

/// A named OS thread that can be joined, like Python's `threading.Thread`.
final class JoinableThread: Sendable {
    private let finished = DispatchSemaphore(value: 0)

    init(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [finished] in
            ThreadName.set(name)
            body()
            finished.signal()
        }
        thread.start()
    }

    func join() { finished.wait() }
}
