import CTrenzaSystem

/// Process-wide allocator settings for programs that allocate and free large buffers per item.
package enum MemoryTuning {
    /// Keeps freed large blocks (up to 256 MiB) in the heap for reuse instead of returning them
    /// to the kernel at once.
    ///
    /// glibc serves big allocations with fresh `mmap`s and unmaps them on `free`: an image
    /// pipeline that allocates a few 6 MB frames per photo then spends a third of its time in
    /// page faults zeroing memory it just gave back (measured: 93 → 147 photos/s on
    /// `trenza images`, 1080p JPEG, 2 workers). Peak memory is unchanged; freed memory is kept
    /// for the next item rather than released. Call once, first thing in `main` (worker
    /// processes run `main` too, so they get it).
    package static func keepLargeBuffers() {
        trenza_keep_large_buffers()
    }

    /// Hands the heap's free pages back to the kernel now, so that resident memory shows what is
    /// in use rather than what was once used: for measuring how much memory a batch needs.
    /// The next large allocations pay page faults again.
    package static func releaseFreeMemory() {
        trenza_release_free_memory()
    }

    /// Bytes the allocator has handed out and not had back, over all its arenas. Unlike resident
    /// memory, this grows when a batch reuses memory an earlier batch freed.
    package static var heapBytesInUse: Int {
        Int(trenza_heap_bytes_in_use())
    }
}
