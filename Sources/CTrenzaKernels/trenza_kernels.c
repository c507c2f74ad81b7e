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
#include <emmintrin.h>
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

// Grey from RGB(A): the 32-bit integer formula of Convert.c itself, so exact. The pixel size is a
// constant in each call so that the compiler sees a fixed-stride gather it can vectorise; with AVX2
// it does so with byte shuffles (0.36 ms for a 1920×1080 RGB frame, against 0.66 ms for the SSE2
// Swift loop this replaced).
TRENZA_BODY void luma_row_body(const uint8_t *restrict src, uint8_t *restrict out, size_t n,
                               size_t b) {
    for (size_t x = 0; x < n; x++) {
        const uint8_t *p = src + x * b;
        uint32_t grey = (uint32_t)p[0] * 19595u + (uint32_t)p[1] * 38470u + (uint32_t)p[2] * 7471u;
        out[x] = (uint8_t)((grey + 0x8000u) >> 16);
    }
}

TRENZA_BODY void luma_row_dispatch(const uint8_t *src, uint8_t *out, size_t n, size_t b) {
    if (b == 4) {
        luma_row_body(src, out, n, 4);
    } else {
        luma_row_body(src, out, n, 3);
    }
}

#if TRENZA_X86
// Baseline x86-64 has SSE2 but no byte shuffle (pshufb is SSSE3), and there the byte-gather loop
// above measured twice as slow as reading each pixel as one unaligned little-endian 32-bit word,
// which puts R, G and B in fixed bytes of a 32-bit lane; clang left the scalar form of that word
// loop unvectorised, hence intrinsics. pmaddwd takes signed 16-bit weights and 38470 is above
// 32767, so G·38470 is G·(38470 − 65536) + (G << 16); the 32-bit lanes wrap, but every true sum
// is below 2³², so the bits left are the sum itself.
static inline __m128i luma4_sse2(__m128i words) {
    __m128i rb = _mm_and_si128(words, _mm_set1_epi32(0x00FF00FF));
    __m128i g = _mm_and_si128(_mm_srli_epi32(words, 8), _mm_set1_epi32(0xFF));
    __m128i sum = _mm_madd_epi16(rb, _mm_set1_epi32((7471 << 16) | 19595));
    sum = _mm_add_epi32(sum, _mm_madd_epi16(g, _mm_set1_epi32(38470)));
    sum = _mm_add_epi32(sum, _mm_slli_epi32(g, 16));
    return _mm_srli_epi32(_mm_add_epi32(sum, _mm_set1_epi32(0x8000)), 16);
}

static inline __m128i load_word(const uint8_t *p) {
    uint32_t w;
    memcpy(&w, p, 4);
    return _mm_cvtsi32_si128((int)w);
}

// Four RGB pixels as words; the fourth word reads the first byte of the pixel after them.
static inline __m128i rgb_words4(const uint8_t *p) {
    __m128i lo = _mm_unpacklo_epi32(load_word(p), load_word(p + 3));
    __m128i hi = _mm_unpacklo_epi32(load_word(p + 6), load_word(p + 9));
    return _mm_unpacklo_epi64(lo, hi);
}

// Sixteen pixels at a time; an RGB block is only taken while one more pixel follows it.
static void luma_row_sse2(const uint8_t *src, uint8_t *out, size_t n, size_t b) {
    size_t x = 0;
    for (; b == 4 ? x + 16 <= n : x + 17 <= n; x += 16) {
        const uint8_t *p = src + x * b;
        __m128i q[4];
        for (int k = 0; k < 4; k++) {
            q[k] = luma4_sse2(b == 4 ? _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k))
                                     : rgb_words4(p + 12 * k));
        }
        // Every lane is at most 255, so the signed 32 → 16 pack and unsigned 16 → 8 pack keep it.
        __m128i bytes = _mm_packus_epi16(_mm_packs_epi32(q[0], q[1]), _mm_packs_epi32(q[2], q[3]));
        _mm_storeu_si128((__m128i *)(void *)(out + x), bytes);
    }
    luma_row_body(src + x * b, out + x, n - x, b);
}
#endif

// Summed in chunks of 2¹⁶ bytes whose 32-bit sums cannot overflow (2¹⁶ · 255 < 2³²), so the
// compiler adds bytes in 32-bit vector lanes rather than widening each one to 64 bits: 0.034 ms
// for 1920×1080 bytes with AVX2, 0.115 ms in the baseline build (as fast as the Swift loop was).
TRENZA_BODY uint64_t byte_sum_body(const uint8_t *restrict bytes, size_t n) {
    uint64_t total = 0;
    for (size_t start = 0; start < n;) {
        size_t end = n - start > 65536 ? start + 65536 : n;
        uint32_t chunk = 0;
        for (size_t i = start; i < end; i++) chunk += bytes[i];
        total += chunk;
        start = end;
    }
    return total;
}

// The lookups are scalar loads in both builds; the AVX2 build still measured faster (0.92 against
// 1.16 ms for a 1920×1080 RGB frame), the Swift loop it replaced about as fast as the baseline.
TRENZA_BODY void lut_row_body(const uint8_t *restrict table, const uint8_t *restrict src,
                              uint8_t *restrict out, size_t n, size_t b) {
    if (b == 4) {
        // Rows start on pixel boundaries, so every fourth byte from the start is alpha.
        for (size_t i = 0; i + 4 <= n; i += 4) {
            out[i] = table[src[i]];
            out[i + 1] = table[src[i + 1]];
            out[i + 2] = table[src[i + 2]];
            out[i + 3] = src[i + 3];
        }
    } else {
        for (size_t i = 0; i < n; i++) out[i] = table[src[i]];
    }
}

static void luma_row_baseline(const uint8_t *src, uint8_t *out, size_t n, size_t b) {
#if TRENZA_X86
    if (b == 4) {
        luma_row_sse2(src, out, n, 4);
    } else {
        luma_row_sse2(src, out, n, 3);
    }
#else
    luma_row_dispatch(src, out, n, b);
#endif
}

static uint64_t byte_sum_baseline(const uint8_t *bytes, size_t n) {
    return byte_sum_body(bytes, n);
}

static void lut_row_baseline(const uint8_t *table, const uint8_t *src, uint8_t *out, size_t n,
                             size_t b) {
    lut_row_body(table, src, out, n, b);
}

#if TRENZA_X86
TRENZA_AVX2 static void luma_row_avx2(const uint8_t *src, uint8_t *out, size_t n, size_t b) {
    luma_row_dispatch(src, out, n, b);
}

TRENZA_AVX2 static uint64_t byte_sum_avx2(const uint8_t *bytes, size_t n) {
    return byte_sum_body(bytes, n);
}

TRENZA_AVX2 static void lut_row_avx2(const uint8_t *table, const uint8_t *src, uint8_t *out,
                                     size_t n, size_t b) {
    lut_row_body(table, src, out, n, b);
}
#endif

void trenza_luma_row(trenza_kernels_variant variant, const uint8_t *src, uint8_t *out, size_t count,
                     size_t bands) {
#if TRENZA_X86
    if (use_avx2(variant)) {
        luma_row_avx2(src, out, count, bands);
        return;
    }
#else
    (void)variant;
#endif
    luma_row_baseline(src, out, count, bands);
}

uint64_t trenza_byte_sum(trenza_kernels_variant variant, const uint8_t *bytes, size_t count) {
#if TRENZA_X86
    if (use_avx2(variant)) return byte_sum_avx2(bytes, count);
#else
    (void)variant;
#endif
    return byte_sum_baseline(bytes, count);
}

void trenza_lut_row(trenza_kernels_variant variant, const uint8_t *table, const uint8_t *src,
                    uint8_t *out, size_t length, size_t bands) {
#if TRENZA_X86
    if (use_avx2(variant)) {
        lut_row_avx2(table, src, out, length, bands);
        return;
    }
#else
    (void)variant;
#endif
    lut_row_baseline(table, src, out, length, bands);
}
