#ifndef TRENZA_CODECS_INTERNAL_H
#define TRENZA_CODECS_INTERNAL_H

#include <time.h>

#include "trenza_codecs.h"

/// Whether the monotonic clock (CLOCK_MONOTONIC, as the Swift side reads it) has passed
/// `deadline_ns`; 0 means no deadline. A vDSO call: cheap enough to ask once a row.
static inline int trenza_past_deadline(uint64_t deadline_ns) {
    if (deadline_ns == 0) return 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec >= deadline_ns;
}

void trenza_status_set(trenza_codec_status *status, trenza_codec_code code, const char *format,
                       ...) __attribute__((format(printf, 3, 4)));

void trenza_status_ok(trenza_codec_status *status);

/// Appends to a buffer, doubling its capacity as needed; returns 0 when out of memory.
int trenza_buffer_append(trenza_codec_buffer *buffer, const uint8_t *bytes, size_t count);

#endif
