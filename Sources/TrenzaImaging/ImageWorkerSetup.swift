import Trenza

/// What a worker process of the image batch does before its first photo: keep freed image
/// buffers in the heap, as `trenza` does in its own process. Workers never run `trenza`'s `main`,
/// so without this each decoded photo's buffers would go back to the kernel and be faulted in
/// again for the next (93 against 147 photos/s when it was measured).
public struct ImageWorkerSetup: WorkerSetup {
    public init() {}
    public func setUp() throws { MemoryTuning.keepLargeBuffers() }
}
