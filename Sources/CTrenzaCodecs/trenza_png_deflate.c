#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "codecs_internal.h"

// A PNG writer that filters the rows itself and deflates them in one libdeflate call. Through
// libpng, zlib's level-6 deflate was over 70% of the time of writing a photograph; libdeflate
// compresses a whole buffer at once (no streaming state) and is several times faster at the same
// level with about the same size. Its levels are not zlib's: the same number gives a different,
// equally valid stream, so files are not byte-identical to libpng's; the pixels are.

// Rows go into IDAT chunks of at most this much: any size up to 2^31 - 1 is valid, and modest
// chunks keep a reader's per-chunk buffering small.
#define IDAT_CHUNK_MAX (1u << 20)

enum { FILTER_NONE, FILTER_SUB, FILTER_UP, FILTER_AVERAGE, FILTER_PAETH, FILTER_COUNT };

// Written without branches (selects instead) so that the compiler can vectorise the row loop.
static inline int paeth_predictor(int left, int up, int up_left) {
    int to_left = abs(up - up_left), to_up = abs(left - up_left),
        to_up_left = abs(left + up - 2 * up_left);
    int nearer = to_left <= to_up ? left : up;
    int nearer_distance = to_left <= to_up ? to_left : to_up;
    return nearer_distance <= to_up_left ? nearer : up_left;
}

// The cost of a filtered row in the heuristic the PNG specification suggests and libpng (hence
// the encoder this replaces) and Pillow use: bytes read as signed, summed by magnitude. Rows
// closest to zero tend to deflate best.
static inline unsigned magnitude(uint8_t value) { return (unsigned)abs((int8_t)value); }

// Writes `row` filtered with `filter` into `out` and returns its cost. `previous` is the row
// above (zeros for the first row); `bpp` the bytes per pixel.
static unsigned long filter_row(int filter, const uint8_t *restrict row,
                                const uint8_t *restrict previous, size_t stride, size_t bpp,
                                uint8_t *restrict out) {
    unsigned long cost = 0;
    size_t x = 0;
    switch (filter) {
    case FILTER_NONE:
        for (; x < stride; x++) cost += magnitude(out[x] = row[x]);
        break;
    case FILTER_SUB:
        for (; x < bpp; x++) cost += magnitude(out[x] = row[x]);
        for (; x < stride; x++) cost += magnitude(out[x] = (uint8_t)(row[x] - row[x - bpp]));
        break;
    case FILTER_UP:
        for (; x < stride; x++) cost += magnitude(out[x] = (uint8_t)(row[x] - previous[x]));
        break;
    case FILTER_AVERAGE:
        for (; x < bpp; x++) cost += magnitude(out[x] = (uint8_t)(row[x] - (previous[x] >> 1)));
        for (; x < stride; x++)
            cost += magnitude(out[x] = (uint8_t)(row[x] - ((row[x - bpp] + previous[x]) >> 1)));
        break;
    default:
        for (; x < bpp; x++) cost += magnitude(out[x] = (uint8_t)(row[x] - previous[x]));
        for (; x < stride; x++)
            cost += magnitude(out[x] = (uint8_t)(row[x] - paeth_predictor(row[x - bpp], previous[x],
                                                                         previous[x - bpp])));
        break;
    }
    return cost;
}

static void put_u32(uint8_t *out, uint32_t value) {
    out[0] = (uint8_t)(value >> 24);
    out[1] = (uint8_t)(value >> 16);
    out[2] = (uint8_t)(value >> 8);
    out[3] = (uint8_t)value;
}

static int append_chunk(trenza_codec_buffer *out, const char type[4], const uint8_t *data,
                        uint32_t length) {
    uint8_t head[8], tail[4];
    put_u32(head, length);
    memcpy(head + 4, type, 4);
    uint32_t crc = libdeflate_crc32(0, head + 4, 4);
    if (length > 0) crc = libdeflate_crc32(crc, data, length);
    put_u32(tail, crc);
    return trenza_buffer_append(out, head, 8) && (length == 0 || trenza_buffer_append(out, data, length)) &&
           trenza_buffer_append(out, tail, 4);
}

trenza_codec_code trenza_png_encode_libdeflate(const uint8_t *pixels, uint32_t width,
                                               uint32_t height, int channels, int level,
                                               trenza_codec_buffer *out,
                                               trenza_codec_status *status) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    trenza_status_ok(status);
    *out = (trenza_codec_buffer){0};
    uint8_t colour;
    switch (channels) {
    case 1: colour = 0; break;
    case 3: colour = 2; break;
    case 4: colour = 6; break;
    default:
        trenza_status_set(status, TRENZA_CODEC_INVALID_ARGUMENT, "%d channels", channels);
        return TRENZA_CODEC_INVALID_ARGUMENT;
    }
    if (width == 0 || height == 0 || width > 0x7FFFFFFFu || height > 0x7FFFFFFFu ||
        level < 0 || level > 9) {
        trenza_status_set(status, TRENZA_CODEC_INVALID_ARGUMENT, "%ux%u image at level %d",
                          width, height, level);
        return TRENZA_CODEC_INVALID_ARGUMENT;
    }
    size_t bpp = (size_t)channels, stride = (size_t)width * bpp;
    if (stride + 1 > SIZE_MAX / height) {
        trenza_status_set(status, TRENZA_CODEC_NO_MEMORY, "image too large");
        return TRENZA_CODEC_NO_MEMORY;
    }
    size_t filtered_size = (stride + 1) * height;
    uint8_t *filtered = malloc(filtered_size);
    // One scratch row per filter plus a row of zeros standing for the row above the first.
    uint8_t *scratch = calloc(FILTER_COUNT + 1, stride);
    struct libdeflate_compressor *compressor = libdeflate_alloc_compressor(level);
    uint8_t *compressed = NULL;
    trenza_codec_code code = TRENZA_CODEC_NO_MEMORY;
    if (filtered == NULL || scratch == NULL || compressor == NULL) goto done;

    const uint8_t *zeros = scratch + FILTER_COUNT * stride;
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *row = pixels + (size_t)y * stride;
        const uint8_t *previous = y == 0 ? zeros : row - stride;
        int best = FILTER_NONE;
        unsigned long best_cost = (unsigned long)-1;
        for (int filter = 0; filter < FILTER_COUNT; filter++) {
            unsigned long cost = filter_row(filter, row, previous, stride, bpp,
                                            scratch + (size_t)filter * stride);
            if (cost < best_cost) best = filter, best_cost = cost;
        }
        uint8_t *line = filtered + (size_t)y * (stride + 1);
        line[0] = (uint8_t)best;
        memcpy(line + 1, scratch + (size_t)best * stride, stride);
    }

    size_t bound = libdeflate_zlib_compress_bound(compressor, filtered_size);
    compressed = malloc(bound);
    if (compressed == NULL) goto done;
    size_t compressed_size =
        libdeflate_zlib_compress(compressor, filtered, filtered_size, compressed, bound);
    if (compressed_size == 0) goto done;  // cannot happen with a buffer of the bound's size

    uint8_t header[13];
    put_u32(header, width);
    put_u32(header + 4, height);
    header[8] = 8;  // bits per sample
    header[9] = colour;
    header[10] = header[11] = header[12] = 0;  // deflate, adaptive filtering, not interlaced
    if (!trenza_buffer_append(out, signature, sizeof signature) ||
        !append_chunk(out, "IHDR", header, sizeof header))
        goto done;
    for (size_t offset = 0; offset < compressed_size; offset += IDAT_CHUNK_MAX) {
        size_t length = compressed_size - offset < IDAT_CHUNK_MAX ? compressed_size - offset
                                                                  : IDAT_CHUNK_MAX;
        if (!append_chunk(out, "IDAT", compressed + offset, (uint32_t)length)) goto done;
    }
    if (!append_chunk(out, "IEND", NULL, 0)) goto done;
    code = TRENZA_CODEC_OK;

done:
    if (code != TRENZA_CODEC_OK) {
        trenza_codec_buffer_free(out);
        trenza_status_set(status, code, "out of memory");
    }
    free(compressed);
    if (compressor != NULL) libdeflate_free_compressor(compressor);
    free(scratch);
    free(filtered);
    return code;
}
