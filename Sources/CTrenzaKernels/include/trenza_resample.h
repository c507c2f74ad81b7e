#ifndef TRENZA_RESAMPLE_H
#define TRENZA_RESAMPLE_H

// Pillow 12.0.0's resampling, reduction and alpha premultiplication for interleaved 8-bit pixels
// (1, 3 or 4 bands, rows without padding), giving its bytes exactly.

#include <stddef.h>
#include <stdint.h>

/// The convolution filters of `Image.resize`; NEAREST is `trenza_resize_nearest`.
typedef enum {
    TRENZA_RESAMPLE_BOX = 0,
    TRENZA_RESAMPLE_BILINEAR = 1,
    TRENZA_RESAMPLE_HAMMING = 2,
    TRENZA_RESAMPLE_BICUBIC = 3,
    TRENZA_RESAMPLE_LANCZOS = 4,
} trenza_resample_filter;

/// Resamples the region `box` (left, top, right, bottom in source pixels, as Pillow's float box)
/// of the `in_width` × `in_height` source into `out_width` × `out_height` pixels at `dst`, in two
/// separable passes (horizontal, then vertical; a pass is skipped where Pillow skips it). The box
/// must lie within the source and the sizes be at least 1. `dst` must not overlap `src`.
/// Returns 0, or -1 when memory for the coefficients or the intermediate rows ran out.
int trenza_resample(const uint8_t *src, int in_width, int in_height, int bands, const float box[4],
                    trenza_resample_filter filter, uint8_t *dst, int out_width, int out_height);

/// Pillow's NEAREST resize of `box` into `out_width` × `out_height` (its affine scaling path):
/// source positions advance by accumulated doubles, and a position that lands outside the source
/// leaves zero bytes. Returns 0, or -1 when out of memory.
int trenza_resize_nearest(const uint8_t *src, int in_width, int in_height, int bands,
                          const float box[4], uint8_t *dst, int out_width, int out_height);

/// Pillow's `reduce((x_factor, y_factor), box)`: each output pixel is the rounded mean of its
/// block of source pixels within `box` (left, top, right, bottom; within the source, non-empty);
/// the last column and row average the partial blocks. `dst` holds
/// ceil(box width / x_factor) × ceil(box height / y_factor) pixels.
void trenza_reduce(const uint8_t *src, int in_width, int bands, const int box[4], int x_factor,
                   int y_factor, uint8_t *dst);

/// RGBA → Pillow's premultiplied "RGBa" for `count` pixels; `dst` may be `src`.
void trenza_premultiply_alpha(const uint8_t *src, uint8_t *dst, size_t count);

/// "RGBa" → RGBA for `count` pixels, truncating as Pillow does; `dst` may be `src`.
void trenza_unpremultiply_alpha(const uint8_t *src, uint8_t *dst, size_t count);

#endif
