import Trenza

/// One input's outcome as a chunk's result carries it: the output, or why there is none. The
/// item's index is the submitter's to add back (it knows where the chunk starts).
enum ClusterItemResult<Output: Codable & Sendable>: Codable, Sendable {
    case success(Output)
    case failure(ItemFailure.Kind, String)

    /// - Parameter host: the worker's machine, named in a failure: with files on a shared
    ///   filesystem, "cannot open" means something else on each machine.
    init(_ outcome: Outcome<Output>, host: String) {
        switch outcome {
        case .success(let output): self = .success(output)
        case .failure(let failure): self = .failure(failure.kind, "\(failure.message) (on \(host))")
        }
    }

    func outcome(index: Int) -> Outcome<Output> {
        switch self {
        case .success(let output): .success(output)
        case .failure(let kind, let message): .failure(ItemFailure(index: index, kind: kind, message: message))
        }
    }
}
