#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include "trenza_system.h"

int trenza_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int64_t trenza_atomic_fetch_add(int64_t *address, int64_t value) {
    return __atomic_fetch_add(address, value, __ATOMIC_SEQ_CST);
}

int64_t trenza_atomic_load(const int64_t *address) {
    return __atomic_load_n(address, __ATOMIC_SEQ_CST);
}

int trenza_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = 0;
    return pthread_setname_np(pthread_self(), truncated);
}

int trenza_thread_name(char *buffer, int size) {
    return pthread_getname_np(pthread_self(), buffer, (size_t)size);
}

void trenza_keep_large_buffers(void) {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
}

void trenza_release_free_memory(void) {
    malloc_trim(0);
}

void trenza_return_freed_memory_promptly(void) {
    mallopt(M_TRIM_THRESHOLD, 1 << 20);
    mallopt(M_TOP_PAD, 128 << 10);
}

size_t trenza_heap_bytes_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

#include <dlfcn.h>
#include <stdlib.h>

const void *trenza_image_anchor(void) {
    return (const void *)&trenza_image_anchor;
}

int trenza_image_of(const void *address, const void **base, const char **path) {
    Dl_info info;
    if (dladdr(address, &info) == 0) return -1;
    *base = info.dli_fbase;
    *path = info.dli_fname;
    return 0;
}

/// Defined in Swift (module Trenza, WorkerEntry.swift); weak so that this C target links alone.
extern void trenza_worker_entry(void) __attribute__((weak));

/// Runs before `main`: a process that a Trenza process pool started serves jobs and exits here,
/// so it never runs the host program's `main` — whatever that `main` does (builds another pool,
/// starts a server), a worker cannot do it. Constructors of the shared libraries it uses (the
/// Swift runtime, Foundation) have already run, and the Swift image registration of this
/// executable comes first in link order.
__attribute__((constructor)) static void trenza_worker_constructor(void) {
    if (getenv(TRENZA_WORKER_ENVIRONMENT_KEY) != NULL && trenza_worker_entry != NULL) {
        trenza_worker_entry();
    }
}
