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

    /// Hands freed memory back to the kernel as it is freed, for a long-running process whose
    /// load comes in crowds (a server): it undoes ``keepLargeBuffers()``'s hold on the free
    /// memory at the top of each arena (the 256 MiB buffers stay in the heap, not `mmap`ped).
    ///
    /// ``releaseFreeMemory()`` alone is not enough there: `malloc_trim` returns the free chunks
    /// inside every arena and the top of the main one, but never the top of the arenas of other
    /// threads, which glibc shrinks only on a `free` whose top passes the trim threshold and the
    /// top pad. The event loops' arenas held 41 MiB of such tops after 20,400 half-open
    /// connections to `trenza serve` had gone (resident memory 38 → 82 MiB).
    package static func returnFreedMemoryPromptly() {
        trenza_return_freed_memory_promptly()
    }

    /// Bytes the allocator has handed out and not had back, over all its arenas. Unlike resident
    /// memory, this grows when a batch reuses memory an earlier batch freed.
    package static var heapBytesInUse: Int {
        Int(trenza_heap_bytes_in_use())
    }
}
