// Pillow 12.0.0's integer reduction and its RGBA ⇄ RGBa conversions.
//
// Reduction divides a block's sum by its pixel count n through a multiplier, 2³² / (256 n) worked
// out in single precision and truncated, then a shift by 24; with the sum first raised by n / 2.
// For powers of two that is exactly a rounded shift, which is what Pillow's special cases do, so
// one formula covers every factor and the partial blocks of the last row and column alike.

#include <stdlib.h>
#include <string.h>

#include "trenza_resample.h"

static uint32_t block_multiplier(uint32_t pixels) {
    float numerator = 4294967296.0f;
    return (uint32_t)(numerator / (float)(256u * pixels));
}

void trenza_reduce(const uint8_t *src, int in_width, int bands, const int box[4], int x_factor,
                   int y_factor, uint8_t *dst) {
    int left = box[0], top = box[1], right = box[2], bottom = box[3];
    int out_width = (right - left + x_factor - 1) / x_factor;
    int out_height = (bottom - top + y_factor - 1) / y_factor;
    size_t in_stride = (size_t)in_width * (size_t)bands;
    size_t span = (size_t)(right - left) * (size_t)bands;
    // Column sums of one output row's block of source rows; then each block adds its columns.
    uint32_t *columns = malloc(sizeof(uint32_t) * (span ? span : 1));
    if (!columns) return;
    uint8_t *out = dst;
    for (int oy = 0; oy < out_height; oy++) {
        int y0 = top + oy * y_factor;
        int y1 = y0 + y_factor < bottom ? y0 + y_factor : bottom;
        const uint8_t *first = src + (size_t)y0 * in_stride + (size_t)left * bands;
        for (size_t i = 0; i < span; i++) columns[i] = first[i];
        for (int y = y0 + 1; y < y1; y++) {
            const uint8_t *row = src + (size_t)y * in_stride + (size_t)left * bands;
            for (size_t i = 0; i < span; i++) columns[i] += row[i];
        }
        int rows = y1 - y0;
        for (int ox = 0; ox < out_width; ox++) {
            int x0 = ox * x_factor;
            int x1 = x0 + x_factor < right - left ? x0 + x_factor : right - left;
            uint32_t pixels = (uint32_t)((x1 - x0) * rows);
            uint32_t multiplier = block_multiplier(pixels);
            for (int b = 0; b < bands; b++) {
                uint32_t sum = pixels / 2;
                for (int x = x0; x < x1; x++) sum += columns[(size_t)x * bands + b];
                *out++ = (uint8_t)((sum * multiplier) >> 24);
            }
        }
    }
    free(columns);
}

// c · a / 255, rounded as Pillow's MULDIV255 rounds it.
static inline uint8_t scale_by_alpha(unsigned c, unsigned a) {
    unsigned t = c * a + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

void trenza_premultiply_alpha(const uint8_t *src, uint8_t *dst, size_t count) {
    for (size_t i = 0; i < count; i++, src += 4, dst += 4) {
        unsigned a = src[3];
        dst[0] = scale_by_alpha(src[0], a);
        dst[1] = scale_by_alpha(src[1], a);
        dst[2] = scale_by_alpha(src[2], a);
        dst[3] = (uint8_t)a;
    }
}

void trenza_unpremultiply_alpha(const uint8_t *src, uint8_t *dst, size_t count) {
    for (size_t i = 0; i < count; i++, src += 4, dst += 4) {
        unsigned a = src[3];
        if (a == 0 || a == 255) {
            memmove(dst, src, 4);
            continue;
        }
        for (int b = 0; b < 3; b++) {
            unsigned v = 255u * src[b] / a;
            dst[b] = (uint8_t)(v > 255 ? 255 : v);
        }
        dst[3] = (uint8_t)a;
    }
}
