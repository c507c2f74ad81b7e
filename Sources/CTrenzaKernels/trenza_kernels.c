// Exact integer kernels, each compiled twice: for the baseline the package targets and for AVX2,
// the variant picked once, at the first call, from what the CPU reports.
//
// Each kernel's body is one always-inlined function, so both variants are the same C and differ
// only in the instructions the compiler may use when it vectorises the loops. Why these integer
// forms give Pillow's bytes is argued at the top of FilterKernels.swift; the sums here are the
// same integers, grouped so that column sums are shared between neighbouring bytes.

#include <string.h>
#include "trenza_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define TRENZA_X86 1
#define TRENZA_AVX2 __attribute__((target("avx2")))
#else
#define TRENZA_X86 0
#endif

#define TRENZA_BODY static inline __attribute__((always_inline))

// BLUR's ring of 16 is the 5×5 block minus its inner 3×3 block. With the column sums
// A = m2 + m1 + c + p1 + p2 (all five rows) and P = m2 + p2 (the ring's top and bottom), the ring at
// byte i is A[i − 2b] + A[i + 2b] + P[i − b] + P[i] + P[i + b]: five additions per byte instead of
// sixteen, each column sum made once and shared by the five bytes that read it. S ≤ 16 · 255, so
// 16-bit lanes hold every sum exactly, and (S + 8) >> 4 (0.5 + S/16 truncated) never exceeds 255.
TRENZA_BODY void blur_row_body(const uint8_t *restrict m2, const uint8_t *restrict m1,
                               const uint8_t *restrict c, const uint8_t *restrict p1,
                               const uint8_t *restrict p2, uint8_t *restrict out, size_t n, size_t b,
                               uint16_t *restrict scratch) {
    uint16_t *restrict all = scratch;
    uint16_t *restrict pair = scratch + n;
    for (size_t x = 0; x < n; x++) {
        uint16_t top_bottom = (uint16_t)(m2[x] + p2[x]);
        pair[x] = top_bottom;
        all[x] = (uint16_t)(top_bottom + m1[x] + c[x] + p1[x]);
    }
    size_t b2 = 2 * b;
    memcpy(out, c, b2);
    for (size_t i = b2; i < n - b2; i++) {
        uint16_t s = (uint16_t)(all[i - b2] + all[i + b2] + pair[i - b] + pair[i] + pair[i + b]);
        out[i] = (uint8_t)((s + 8) >> 4);
    }
    memcpy(out + n - b2, c + n - b2, b2);
}

// The 3×3 kernels other than EMBOSS are k·c − (the ring of 8 around c), over a scale 1, 2 or 16:
// SHARPEN 32c − 2·ring over 16 (halved here: 16c − ring over 8), EDGE_ENHANCE 10c − ring over 2,
// EDGE_ENHANCE_MORE 9c − ring, FIND_EDGES 8c − ring, CONTOUR 8c − ring plus 255. The ring is the
// 3×3 block minus c, and the block is three column sums V = m1 + c + p1, so each byte costs
// S = (k + 1)·c − (V[i − b] + V[i] + V[i + b]). Then floor(offset + 0.5 + S/scale) is
// (S + offset·scale + scale/2) >> log2(scale), clamped to 0…255.
//
// S ≥ −8 · 255, so adding 2048 · scale makes every sum positive without changing the quotient
// beyond adding 2048; the largest (SHARPEN: 16 · 255 + 4 + 2048 · 8) stays below 2¹⁶. Everything is
// then unsigned 16-bit (logical shift, unsigned min and max), which the compiler keeps in 16-bit
// lanes; with signed arithmetic it widened to 32-bit lanes, half as many per instruction.
TRENZA_BODY void ring_row_body(const uint8_t *restrict m1, const uint8_t *restrict c,
                               const uint8_t *restrict p1, uint8_t *restrict out, size_t n, size_t b,
                               uint16_t *restrict column, unsigned centre, unsigned add,
                               unsigned shift) {
    for (size_t x = 0; x < n; x++) column[x] = (uint16_t)(m1[x] + c[x] + p1[x]);
    const unsigned bias = 2048u << shift;
    memcpy(out, c, b);
    for (size_t i = b; i < n - b; i++) {
        uint16_t block = (uint16_t)(column[i - b] + column[i] + column[i + b]);
        uint16_t v = (uint16_t)((uint16_t)(centre * c[i] + bias + add - block) >> shift);
        v = v < 2048 ? 2048 : v;
        v = v > 2048 + 255 ? 2048 + 255 : v;
        out[i] = (uint8_t)(v - 2048);
    }
    memcpy(out + n - b, c + n - b, b);
}

// EMBOSS is c − (the pixel below and to the left) + 128, clamped: its −1 is kernel row 0, column
// 0, and Pillow's kernel rows meet the image rows upside down. Here the signed form measured
// faster than the unsigned one above (0.34 against 0.45 ms for a 1920×1080 RGB frame, AVX2).
TRENZA_BODY void emboss_row_body(const uint8_t *restrict c, const uint8_t *restrict p1,
                                 uint8_t *restrict out, size_t n, size_t b) {
    memcpy(out, c, b);
    for (size_t i = b; i < n - b; i++) {
        int16_t s = (int16_t)(c[i] - p1[i - b] + 128);
        out[i] = (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
    }
    memcpy(out + n - b, c + n - b, b);
}

TRENZA_BODY void kernel3_row_body(trenza_kernel3 kernel, const uint8_t *m1, const uint8_t *c,
                                  const uint8_t *p1, uint8_t *out, size_t n, size_t b,
                                  uint16_t *column) {
    // Constant arguments, so each case is its own loop with the multiplier and shift built in.
    switch (kernel) {
    case TRENZA_KERNEL3_SHARPEN: ring_row_body(m1, c, p1, out, n, b, column, 17, 4, 3); break;
    case TRENZA_KERNEL3_EDGE_ENHANCE: ring_row_body(m1, c, p1, out, n, b, column, 11, 1, 1); break;
    case TRENZA_KERNEL3_EDGE_ENHANCE_MORE: ring_row_body(m1, c, p1, out, n, b, column, 10, 0, 0); break;
    case TRENZA_KERNEL3_FIND_EDGES: ring_row_body(m1, c, p1, out, n, b, column, 9, 0, 0); break;
    case TRENZA_KERNEL3_CONTOUR: ring_row_body(m1, c, p1, out, n, b, column, 9, 255, 0); break;
    case TRENZA_KERNEL3_EMBOSS: emboss_row_body(c, p1, out, n, b); break;
    }
}

static void blur_row_baseline(const uint8_t *m2, const uint8_t *m1, const uint8_t *c,
                              const uint8_t *p1, const uint8_t *p2, uint8_t *out, size_t n,
                              size_t b, uint16_t *scratch) {
    blur_row_body(m2, m1, c, p1, p2, out, n, b, scratch);
}

static void kernel3_row_baseline(trenza_kernel3 kernel, const uint8_t *m1, const uint8_t *c,
                                 const uint8_t *p1, uint8_t *out, size_t n, size_t b,
                                 uint16_t *scratch) {
    kernel3_row_body(kernel, m1, c, p1, out, n, b, scratch);
}

#if TRENZA_X86
TRENZA_AVX2 static void blur_row_avx2(const uint8_t *m2, const uint8_t *m1, const uint8_t *c,
                                      const uint8_t *p1, const uint8_t *p2, uint8_t *out, size_t n,
                                      size_t b, uint16_t *scratch) {
    blur_row_body(m2, m1, c, p1, p2, out, n, b, scratch);
}

TRENZA_AVX2 static void kernel3_row_avx2(trenza_kernel3 kernel, const uint8_t *m1, const uint8_t *c,
                                         const uint8_t *p1, uint8_t *out, size_t n, size_t b,
                                         uint16_t *scratch) {
    kernel3_row_body(kernel, m1, c, p1, out, n, b, scratch);
}
#endif

#if TRENZA_X86
static int have_avx2(void) {
    // Harmless when already done; needed if this runs before the CPU model is initialised.
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

// The variant AUTO stands for, resolved at the first call (0 until then). Threads racing there all
// store the same value, which publishes nothing else, so relaxed atomics are enough.
static int resolved_variant;

static int use_avx2(trenza_kernels_variant variant) {
    if (variant == TRENZA_KERNELS_AUTO) {
        int resolved = __atomic_load_n(&resolved_variant, __ATOMIC_RELAXED);
        if (resolved == 0) {
            resolved = have_avx2() ? TRENZA_KERNELS_AVX2 : TRENZA_KERNELS_BASELINE;
            __atomic_store_n(&resolved_variant, resolved, __ATOMIC_RELAXED);
        }
        return resolved == TRENZA_KERNELS_AVX2;
    }
    return variant == TRENZA_KERNELS_AVX2 && have_avx2();
}
#endif

void trenza_blur_row(trenza_kernels_variant variant, const uint8_t *m2, const uint8_t *m1,
                     const uint8_t *c, const uint8_t *p1, const uint8_t *p2, uint8_t *out,
                     size_t length, size_t bands, uint16_t *scratch) {
#if TRENZA_X86
    if (use_avx2(variant)) {
        blur_row_avx2(m2, m1, c, p1, p2, out, length, bands, scratch);
        return;
    }
#else
    (void)variant;
#endif
    blur_row_baseline(m2, m1, c, p1, p2, out, length, bands, scratch);
}

void trenza_kernel3_row(trenza_kernels_variant variant, trenza_kernel3 kernel, const uint8_t *m1,
                        const uint8_t *c, const uint8_t *p1, uint8_t *out, size_t length,
                        size_t bands, uint16_t *scratch) {
#if TRENZA_X86
    if (use_avx2(variant)) {
        kernel3_row_avx2(kernel, m1, c, p1, out, length, bands, scratch);
        return;
    }
#else
    (void)variant;
#endif
    kernel3_row_baseline(kernel, m1, c, p1, out, length, bands, scratch);
}
