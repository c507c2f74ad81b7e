#ifndef TRENZA_SYSTEM_H
#define TRENZA_SYSTEM_H

/// Creates a pipe whose two ends are close-on-exec from the start, so that no concurrently
/// spawned child can inherit them (glibc hides pipe2 from Swift without _GNU_SOURCE).
int trenza_pipe_cloexec(int fds[2]);

#include <stddef.h>
#include <stdint.h>

/// Atomically adds `value` to the 64-bit integer at `address` (which may live in memory shared
/// between processes) and returns the previous value.
int64_t trenza_atomic_fetch_add(int64_t *address, int64_t value);

/// Atomically reads the 64-bit integer at `address`.
int64_t trenza_atomic_load(const int64_t *address);

/// Names the calling thread (at most 15 bytes are kept, as the kernel allows); 0 on success.
int trenza_set_thread_name(const char *name);

/// Copies the calling thread's name into `buffer`; 0 on success.
int trenza_thread_name(char *buffer, int size);

/// Tells glibc's malloc to keep freed blocks up to 256 MiB in the heap rather than unmapping
/// them (see MemoryTuning.keepLargeBuffers in Swift).
void trenza_keep_large_buffers(void);

/// Returns the heap's free pages to the kernel (malloc_trim), whatever the trim threshold.
void trenza_release_free_memory(void);

/// Lets every malloc arena hand the free memory at its top back to the kernel once it passes
/// 1 MiB (see MemoryTuning.returnFreedMemoryPromptly in Swift).
void trenza_return_freed_memory_promptly(void);

/// Bytes malloc has handed out and not had back, in every arena (mallinfo2: uordblks + hblkhd).
size_t trenza_heap_bytes_in_use(void);

/// An address inside the image (executable or shared library) that holds Trenza's code. A worker
/// process re-runs the same image at another load address (ASLR); the difference between the two
/// processes' anchors translates addresses that appear in private types' runtime names.
const void *trenza_image_anchor(void);

/// The image's load address and path (dladdr) for `address`; 0 on success.
int trenza_image_of(const void *address, const void **base, const char **path);

/// The environment variable that marks a worker process, read before `main` runs.
#define TRENZA_WORKER_ENVIRONMENT_KEY "TRENZA_WORKER_PARENT"

#endif
