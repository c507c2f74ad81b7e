#ifndef TRENZA_KERNELS_H
#define TRENZA_KERNELS_H

// Exact integer filter kernels in C, so that a variant compiled for AVX2 can be chosen at run time
// while the package itself stays built for baseline x86-64 (Swift cannot enable AVX2 per function).

#include <stddef.h>
#include <stdint.h>

// Included here as well so that a module built before that header existed is rebuilt with it.
#include "trenza_resample.h"

/// Which code a kernel runs: the best one this CPU supports, or a given one (for tests).
typedef enum {
    TRENZA_KERNELS_AUTO = 0,
    TRENZA_KERNELS_BASELINE = 1,
    TRENZA_KERNELS_AVX2 = 2,
} trenza_kernels_variant;

/// One row of Pillow's BLUR (the 5×5 ring of 16 ones, scale 16) over interleaved 8-bit pixels.
///
/// `m2`, `m1`, `c`, `p1`, `p2` are the source rows two above … two below the row, each `length`
/// bytes of `bands`-byte pixels, at least 5 pixels wide. Writes all `length` bytes of `out`: the two
/// pixels at each end copied from `c`, every other byte (S + 8) >> 4 for the ring sum S of its band.
/// `scratch` must hold 2 · `length` 16-bit values. `out` must not overlap the source rows.
/// `variant` AUTO runs the best code for this CPU; AVX2 falls back to the baseline where it cannot run.
void trenza_blur_row(trenza_kernels_variant variant, const uint8_t *m2, const uint8_t *m1,
                     const uint8_t *c, const uint8_t *p1, const uint8_t *p2, uint8_t *out,
                     size_t length, size_t bands, uint16_t *scratch);

/// The 3×3 kernels `trenza_kernel3_row` computes.
typedef enum {
    TRENZA_KERNEL3_SHARPEN = 0,
    TRENZA_KERNEL3_EDGE_ENHANCE = 1,
    TRENZA_KERNEL3_EDGE_ENHANCE_MORE = 2,
    TRENZA_KERNEL3_FIND_EDGES = 3,
    TRENZA_KERNEL3_CONTOUR = 4,
    TRENZA_KERNEL3_EMBOSS = 5,
} trenza_kernel3;

/// One row of one of Pillow's 3×3 kernels (SHARPEN … EMBOSS) over interleaved 8-bit pixels.
///
/// `m1`, `c`, `p1` are the source rows above, at and below the row, each `length` bytes of
/// `bands`-byte pixels, at least 3 pixels wide. Writes all `length` bytes of `out`: the pixel at
/// each end copied from `c`, every other byte filtered in each band on its own. `scratch` must hold
/// `length` 16-bit values. `out` must not overlap the source rows. `variant` as for trenza_blur_row.
void trenza_kernel3_row(trenza_kernels_variant variant, trenza_kernel3 kernel, const uint8_t *m1,
                        const uint8_t *c, const uint8_t *p1, uint8_t *out, size_t length,
                        size_t bands, uint16_t *scratch);

/// Pillow's RGB/RGBA → L (Convert.c's rgb2l): `out[x]` = (R·19595 + G·38470 + B·7471 + 0x8000) >> 16
/// for each of the `count` pixels of `bands` (3 or 4) bytes at `src`; alpha is ignored. `out` must
/// not overlap `src`. `variant` as for trenza_blur_row.
void trenza_luma_row(trenza_kernels_variant variant, const uint8_t *src, uint8_t *out, size_t count,
                     size_t bands);

/// The sum of `count` bytes. `variant` as for trenza_blur_row.
uint64_t trenza_byte_sum(trenza_kernels_variant variant, const uint8_t *bytes, size_t count);

/// Maps `length` bytes of `bands`-byte pixels through the 256-entry `table` into `out`; with 4
/// bands every fourth byte (alpha, from the start) is copied instead. `out` must not overlap `src`.
/// `variant` as for trenza_blur_row.
void trenza_lut_row(trenza_kernels_variant variant, const uint8_t *table, const uint8_t *src,
                    uint8_t *out, size_t length, size_t bands);

#endif
