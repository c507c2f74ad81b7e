#include <inttypes.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <png.h>

#include "codecs_internal.h"

// libpng reports errors through a callback that must not return; ours records the message and
// longjmps to the setjmp in whichever public function is running. Every public function sets its
// own jump point, so the decoder can be driven over two calls (open, then read).

struct trenza_png_decoder {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size;
    size_t offset;
    int truncated;
    int channels;
    uint32_t width;
    uint32_t height;
    int passes;
    uint64_t deadline_ns;
    char message[200];
};

static void decoder_error(png_structp png, png_const_charp message) {
    struct trenza_png_decoder *decoder = png_get_error_ptr(png);
    snprintf(decoder->message, sizeof decoder->message, "%s", message);
    png_longjmp(png, 1);
}

// Pillow ignores ancillary-chunk problems (a bad iCCP profile, an unknown sRGB intent), and so do
// we: the pixels are still right.
static void ignore_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void read_from_memory(png_structp png, png_bytep out, size_t count) {
    struct trenza_png_decoder *decoder = png_get_io_ptr(png);
    if (count > decoder->size - decoder->offset) {
        decoder->truncated = 1;
        png_error(png, "premature end of data");
    }
    memcpy(out, decoder->data + decoder->offset, count);
    decoder->offset += count;
}

static trenza_codec_code report(struct trenza_png_decoder *decoder, trenza_codec_status *status) {
    if (decoder->truncated) {
        trenza_status_set(status, TRENZA_CODEC_TRUNCATED, "premature end of data");
        return TRENZA_CODEC_TRUNCATED;
    }
    trenza_status_set(status, TRENZA_CODEC_CORRUPT, "%s", decoder->message);
    return TRENZA_CODEC_CORRUPT;
}

// Pillow's cap on one text chunk (ImageFile.SAFEBLOCK). We keep no ancillary chunk but tRNS, so
// only PLTE (768 bytes) and tRNS (256) are ever held in memory; the cap guards the rest.
#define CHUNK_MALLOC_MAX (1024 * 1024)
#define CHUNK_CACHE_MAX 128

// IHDR must follow the signature, so its size can be read from the bytes before libpng is set up:
// libpng allocates row buffers of the claimed width as soon as the header is processed (6 GB for a
// 69-byte file claiming 2^31 - 1 pixels a row), which is too late for the pixel limit. Returns 0
// when the bytes do not start that way; libpng then reports the problem itself.
static int read_claimed_size(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height) {
    if (size < 33 || memcmp(data + 8, "\0\0\0\x0DIHDR", 8) != 0) return 0;
    // A damaged header is libpng's to report ("IHDR: CRC error"), not a size to believe.
    uint32_t crc = (uint32_t)data[29] << 24 | (uint32_t)data[30] << 16 | (uint32_t)data[31] << 8 | data[32];
    if (libdeflate_crc32(0, data + 12, 17) != crc) return 0;
    *width = (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 | (uint32_t)data[18] << 8 | data[19];
    *height = (uint32_t)data[20] << 24 | (uint32_t)data[21] << 16 | (uint32_t)data[22] << 8 | data[23];
    return 1;
}

static void limit_resources(png_structp png, uint64_t max_pixels) {
    // A side longer than the pixel budget cannot fit in it; beyond that the budget, checked above,
    // is the limit (libpng's default of a million a side would refuse long strips it allows).
    png_uint_32 side = max_pixels > PNG_UINT_31_MAX ? PNG_UINT_31_MAX
                       : max_pixels == 0            ? 1
                                                    : (png_uint_32)max_pixels;
    png_set_user_limits(png, side, side);
    // libpng 1.6.39 reads a text chunk into a buffer of the length it claims (2 GB for a 44-byte
    // file) without consulting the malloc cap, so capping is not enough: every ancillary chunk but
    // tRNS is skipped unread (its CRC still checked). None of them changes the pixels we decode —
    // gamma, colour profiles, text and background are ignored, as Pillow ignores them for pixels —
    // and skipping spares the inflating of zTXt/iTXt/iCCP too.
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_set_chunk_malloc_max(png, CHUNK_MALLOC_MAX);
    png_set_chunk_cache_max(png, CHUNK_CACHE_MAX);
}

void trenza_png_decoder_close(trenza_png_decoder *decoder) {
    if (decoder == NULL) return;
    if (decoder->png != NULL) png_destroy_read_struct(&decoder->png, &decoder->info, NULL);
    free(decoder);
}

trenza_png_decoder *trenza_png_decoder_open(const uint8_t *data, size_t size, uint64_t max_pixels,
                                            trenza_image_info *info, trenza_codec_status *status) {
    trenza_status_ok(status);
    uint32_t claimed_width, claimed_height;
    if (read_claimed_size(data, size, &claimed_width, &claimed_height) &&
        (uint64_t)claimed_width * claimed_height > max_pixels) {
        *info = (trenza_image_info){.width = claimed_width, .height = claimed_height};
        trenza_status_set(status, TRENZA_CODEC_TOO_MANY_PIXELS, "%" PRIu32 "x%" PRIu32 " pixels",
                          claimed_width, claimed_height);
        return NULL;
    }
    struct trenza_png_decoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) {
        trenza_status_set(status, TRENZA_CODEC_NO_MEMORY, "out of memory");
        return NULL;
    }
    decoder->data = data;
    decoder->size = size;
    decoder->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, decoder, decoder_error,
                                          ignore_warning);
    if (decoder->png != NULL) decoder->info = png_create_info_struct(decoder->png);
    if (decoder->png == NULL || decoder->info == NULL) {
        trenza_png_decoder_close(decoder);
        trenza_status_set(status, TRENZA_CODEC_NO_MEMORY, "out of memory");
        return NULL;
    }
    if (setjmp(png_jmpbuf(decoder->png))) {
        report(decoder, status);
        trenza_png_decoder_close(decoder);
        return NULL;
    }
    png_set_read_fn(decoder->png, decoder, read_from_memory);
    limit_resources(decoder->png, max_pixels);
    png_read_info(decoder->png, decoder->info);

    png_uint_32 width, height;
    int depth, colour, interlace;
    png_get_IHDR(decoder->png, decoder->info, &width, &height, &depth, &colour, &interlace, NULL,
                 NULL);
    // No png_set_gamma, no png_set_alpha_mode: pixel values stay as stored, like Pillow, which
    // ignores gAMA/cHRM/iCCP. 16-bit samples keep their high byte (png_set_strip_16, not
    // png_set_scale_16), which is what Pillow's ";16B" unpackers do.
    if (depth == 16) png_set_strip_16(decoder->png);
    switch (colour) {
    case PNG_COLOR_TYPE_GRAY:
        // Bit replication: 1-bit 0/1 becomes 0/255, 2-bit steps of 0x55, 4-bit of 0x11, the same
        // values as Pillow's "1" → L conversion and its L;2 / L;4 unpackers. tRNS is ignored
        // (Pillow keeps it as info["transparency"], not as pixels).
        if (depth < 8) png_set_expand_gray_1_2_4_to_8(decoder->png);
        decoder->channels = 1;
        break;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
        // Pillow opens this as LA; we have no LA mode, so spread the grey over R, G and B.
        png_set_gray_to_rgb(decoder->png);
        decoder->channels = 4;
        break;
    case PNG_COLOR_TYPE_PALETTE:
        png_set_palette_to_rgb(decoder->png);
        decoder->channels = 3;
        // The entries tRNS leaves out are opaque, as in Pillow's convert("RGBA").
        if (png_get_valid(decoder->png, decoder->info, PNG_INFO_tRNS)) {
            png_set_tRNS_to_alpha(decoder->png);
            decoder->channels = 4;
        }
        break;
    case PNG_COLOR_TYPE_RGB:
        decoder->channels = 3;
        break;
    case PNG_COLOR_TYPE_RGB_ALPHA:
        decoder->channels = 4;
        break;
    default:
        png_error(decoder->png, "unknown colour type");
    }
    decoder->passes = png_set_interlace_handling(decoder->png);
    png_read_update_info(decoder->png, decoder->info);
    if (png_get_rowbytes(decoder->png, decoder->info) != (size_t)width * decoder->channels)
        png_error(decoder->png, "unexpected row layout after conversion");

    decoder->width = width;
    decoder->height = height;
    info->width = width;
    info->height = height;
    info->channels = decoder->channels;
    info->orientation = 1;
    return decoder;
}

void trenza_png_decoder_set_deadline(trenza_png_decoder *decoder, uint64_t monotonic_ns) {
    decoder->deadline_ns = monotonic_ns;
}

trenza_codec_code trenza_png_decoder_read(trenza_png_decoder *decoder, uint8_t *pixels,
                                          size_t capacity, trenza_codec_status *status) {
    trenza_status_ok(status);
    size_t stride = (size_t)decoder->width * decoder->channels;
    if (decoder->height != 0 && stride > capacity / decoder->height) {
        trenza_status_set(status, TRENZA_CODEC_INVALID_ARGUMENT,
                          "pixel buffer of %zu bytes is too small", capacity);
        return TRENZA_CODEC_INVALID_ARGUMENT;
    }
    if (setjmp(png_jmpbuf(decoder->png))) return report(decoder, status);
    // For interlaced files each pass writes only its own pixels of a row and leaves the others,
    // so reading every pass straight into the destination rows assembles the full image without
    // a second buffer.
    for (int pass = 0; pass < decoder->passes; pass++)
        for (uint32_t y = 0; y < decoder->height; y++) {
            if (trenza_past_deadline(decoder->deadline_ns)) {
                trenza_status_set(status, TRENZA_CODEC_TIMED_OUT, "decoding ran past its deadline");
                return TRENZA_CODEC_TIMED_OUT;
            }
            png_read_row(decoder->png, pixels + (size_t)y * stride, NULL);
        }
    // Reads on to IEND so that a file cut after its last IDAT, or with a bad CRC there, is
    // reported rather than accepted.
    png_read_end(decoder->png, NULL);
    return TRENZA_CODEC_OK;
}

// MARK: Encoding

struct png_encoder {
    trenza_codec_buffer *out;
    int out_of_memory;
    char message[200];
};

static void encoder_error(png_structp png, png_const_charp message) {
    struct png_encoder *encoder = png_get_error_ptr(png);
    snprintf(encoder->message, sizeof encoder->message, "%s", message);
    png_longjmp(png, 1);
}

static void write_to_memory(png_structp png, png_bytep bytes, size_t count) {
    struct png_encoder *encoder = png_get_io_ptr(png);
    if (!trenza_buffer_append(encoder->out, bytes, count)) {
        encoder->out_of_memory = 1;
        png_error(png, "out of memory");
    }
}

static void flush_nothing(png_structp png) { (void)png; }

trenza_codec_code trenza_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height,
                                    int channels, int compression_level, trenza_codec_buffer *out,
                                    trenza_codec_status *status) {
    trenza_status_ok(status);
    *out = (trenza_codec_buffer){0};
    int colour;
    switch (channels) {
    case 1: colour = PNG_COLOR_TYPE_GRAY; break;
    case 3: colour = PNG_COLOR_TYPE_RGB; break;
    case 4: colour = PNG_COLOR_TYPE_RGB_ALPHA; break;
    default:
        trenza_status_set(status, TRENZA_CODEC_INVALID_ARGUMENT, "%d channels", channels);
        return TRENZA_CODEC_INVALID_ARGUMENT;
    }
    struct png_encoder encoder = {.out = out};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &encoder, encoder_error,
                                              ignore_warning);
    png_infop info = png == NULL ? NULL : png_create_info_struct(png);
    if (png == NULL || info == NULL) {
        png_destroy_write_struct(&png, &info);
        trenza_status_set(status, TRENZA_CODEC_NO_MEMORY, "out of memory");
        return TRENZA_CODEC_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        trenza_codec_buffer_free(out);
        trenza_codec_code code = encoder.out_of_memory ? TRENZA_CODEC_NO_MEMORY
                                                       : TRENZA_CODEC_INVALID_ARGUMENT;
        trenza_status_set(status, code, "%s", encoder.message);
        return code;
    }
    png_set_write_fn(png, &encoder, write_to_memory, flush_nothing);
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);  // as when reading
    png_set_IHDR(png, info, width, height, 8, colour, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, compression_level);
    png_write_info(png, info);
    size_t stride = (size_t)width * channels;
    for (uint32_t y = 0; y < height; y++)
        png_write_row(png, pixels + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return TRENZA_CODEC_OK;
}
