import Foundation
import Synchronization

extension HTTPDate {
    private static let current = Mutex<(second: Int, text: String)>((-1, ""))

    /// The `Date` header's value for the current second, formatted once a second however many
    /// responses carry it.
    static func now() -> String {
        let second = Int(time(nil))
        return current.withLock { current in
            if current.second != second { current = (second, format(Date(timeIntervalSince1970: Double(second)))) }
            return current.text
        }
    }
}
