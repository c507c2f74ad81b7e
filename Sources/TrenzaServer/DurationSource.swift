import Synchronization
import Trenza

/// Draws the operations' waits from one SplitMix64 stream shared by every request.
///
/// The stream sits behind a lock, and each request takes all the draws it needs in one hold of
/// it (`/mixto` draws its three waits before starting any). So with a seed the n-th request
/// the server answers gets the same waits on every run: requests made one at a time are fully
/// reproducible, and concurrent ones get the same waits in the order the server took them.
/// Without a seed the stream starts from a random one.
final class DurationSource: Sendable {
    private let generator: Mutex<SplitMix64>
    private let timeScale: Double

    init(seed: UInt64?, timeScale: Double) {
        var system = SystemRandomNumberGenerator()
        generator = Mutex(SplitMix64(seed: seed ?? system.next()))
        self.timeScale = timeScale
    }

    /// One scaled wait, in seconds, for each operation, in the order given.
    func draw(_ operations: [SimulatedOperation]) -> [OperationResult] {
        generator.withLock { generator in
            operations.map { operation in
                let range = operation.secondsRange
                let unit = generator.nextUnitDouble()
                return OperationResult(operation: operation, seconds: (range.lowerBound + (range.upperBound - range.lowerBound) * unit) * timeScale)
            }
        }
    }
}
