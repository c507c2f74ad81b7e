#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "codecs_internal.h"

int trenza_codecs_jpeg_lib_version(void) { return JPEG_LIB_VERSION; }

const char *trenza_codecs_png_version(void) { return png_get_libpng_ver(NULL); }

void trenza_status_set(trenza_codec_status *status, trenza_codec_code code, const char *format,
                       ...) {
    if (status == NULL) return;
    status->code = code;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(status->message, sizeof status->message, format, arguments);
    va_end(arguments);
    // Library messages sometimes end in a newline; the Swift side embeds them in a sentence.
    size_t length = strlen(status->message);
    while (length > 0 && (status->message[length - 1] == '\n' || status->message[length - 1] == '.'))
        status->message[--length] = '\0';
}

void trenza_status_ok(trenza_codec_status *status) {
    if (status == NULL) return;
    status->code = TRENZA_CODEC_OK;
    status->message[0] = '\0';
}

int trenza_buffer_append(trenza_codec_buffer *buffer, const uint8_t *bytes, size_t count) {
    if (count > SIZE_MAX - buffer->size) return 0;
    size_t needed = buffer->size + count;
    if (needed > buffer->capacity) {
        size_t capacity = buffer->capacity < 4096 ? 4096 : buffer->capacity;
        while (capacity < needed) capacity = capacity > SIZE_MAX / 2 ? needed : capacity * 2;
        uint8_t *grown = realloc(buffer->data, capacity);
        if (grown == NULL) return 0;
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->size, bytes, count);
    buffer->size = needed;
    return 1;
}

void trenza_codec_buffer_free(trenza_codec_buffer *buffer) {
    if (buffer == NULL) return;
    free(buffer->data);
    buffer->data = NULL;
    buffer->size = 0;
    buffer->capacity = 0;
}
