#ifndef TRENZA_CODECS_INTERNAL_H
#define TRENZA_CODECS_INTERNAL_H

#include "trenza_codecs.h"

void trenza_status_set(trenza_codec_status *status, trenza_codec_code code, const char *format,
                       ...) __attribute__((format(printf, 3, 4)));

void trenza_status_ok(trenza_codec_status *status);

/// Appends to a buffer, doubling its capacity as needed; returns 0 when out of memory.
int trenza_buffer_append(trenza_codec_buffer *buffer, const uint8_t *bytes, size_t count);

#endif
