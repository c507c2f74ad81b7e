import CTrenzaSystem

/// Process-wide allocator settings for programs that allocate and free large buffers per item.
public enum MemoryTuning {
    /// Keeps freed large blocks (up to 256 MiB) in the heap for reuse instead of returning them
    /// to the kernel at once.
    ///
    /// glibc serves big allocations with fresh `mmap`s and unmaps them on `free`: an image
    /// pipeline that allocates a few 6 MB frames per photo then spends a third of its time in
    /// page faults zeroing memory it just gave back (measured: 93 → 147 photos/s on
    /// `trenza images`, 1080p JPEG, 2 workers). Peak memory is unchanged; freed memory is kept
    /// for the next item rather than released. Call once, first thing in `main` (worker
    /// processes run `main` too, so they get it).
    public static func keepLargeBuffers() {
        trenza_keep_large_buffers()
    }
}
