// Resampling as Pillow 12.0.0 computes it, so that a resize gives its bytes: each output pixel's
// taps and weights are worked out in doubles once per axis, normalised to sum to one, then turned
// into signed fixed point with 22 fractional bits (room for 8 bits of value, a sign and an
// overshoot bit in 32). The horizontal pass writes clipped 8-bit rows that the vertical pass reads,
// as Pillow's does; doing it in one pass with wider intermediates would round differently.
//
// Floating-point contraction is off: a fused multiply-add in the tap positions or filter values
// would change the last bit of a weight, and with it, now and then, a byte.

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trenza_resample.h"

#pragma STDC FP_CONTRACT OFF

enum { FRACTION_BITS = 22 };

static double sinc(double x) {
    if (x == 0.0) return 1.0;
    x *= M_PI;
    return sin(x) / x;
}

// Each filter's value at x and the half-width outside which it is zero, at scale 1. The constants
// are written as Pillow's source has them (the Hamming weights are single-precision literals).
static double filter_value(trenza_resample_filter filter, double x) {
    switch (filter) {
    case TRENZA_RESAMPLE_BOX:
        return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;
    case TRENZA_RESAMPLE_BILINEAR:
        x = fabs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    case TRENZA_RESAMPLE_HAMMING:
        x = fabs(x);
        if (x == 0.0) return 1.0;
        if (x >= 1.0) return 0.0;
        x *= M_PI;
        return sin(x) / x * ((double)0.54f + (double)0.46f * cos(x));
    case TRENZA_RESAMPLE_BICUBIC:
        // Keys' cubic with a = −0.5.
        x = fabs(x);
        if (x < 1.0) return (1.5 * x - 2.5) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * -0.5;
        return 0.0;
    case TRENZA_RESAMPLE_LANCZOS:
        return (x >= -3.0 && x < 3.0) ? sinc(x) * sinc(x / 3) : 0.0;
    }
    return 0.0;
}

static double filter_support(trenza_resample_filter filter) {
    switch (filter) {
    case TRENZA_RESAMPLE_BOX: return 0.5;
    case TRENZA_RESAMPLE_BILINEAR: return 1.0;
    case TRENZA_RESAMPLE_HAMMING: return 1.0;
    case TRENZA_RESAMPLE_BICUBIC: return 2.0;
    case TRENZA_RESAMPLE_LANCZOS: return 3.0;
    }
    return 1.0;
}

// For every output position along one axis: the first source index, how many follow, and their
// fixed-point weights (`taps` slots per output position, the unused ones zero).
typedef struct {
    int *first;
    int *count;
    int32_t *weights;
    int taps;
} axis_plan;

static void free_plan(axis_plan *plan) {
    free(plan->first);
    free(plan->count);
    free(plan->weights);
}

static int plan_axis(int in_size, float in0, float in1, int out_size, trenza_resample_filter filter,
                     axis_plan *plan) {
    // The box edges are floats in Pillow's signature: the difference is taken in float.
    double scale = (double)(in1 - in0) / out_size;
    // Upscaling keeps the filter's own width; downscaling widens it to cover every source pixel.
    double filter_scale = scale < 1.0 ? 1.0 : scale;
    double support = filter_support(filter) * filter_scale;
    int taps = (int)ceil(support) * 2 + 1;
    double inverse_scale = 1.0 / filter_scale;

    plan->taps = taps;
    plan->first = malloc(sizeof(int) * (size_t)out_size);
    plan->count = malloc(sizeof(int) * (size_t)out_size);
    plan->weights = calloc((size_t)out_size * (size_t)taps, sizeof(int32_t));
    double *values = malloc(sizeof(double) * (size_t)taps);
    if (!plan->first || !plan->count || !plan->weights || !values) {
        free(values);
        free_plan(plan);
        return -1;
    }
    for (int o = 0; o < out_size; o++) {
        double center = in0 + (o + 0.5) * scale;
        int first = (int)(center - support + 0.5);
        if (first < 0) first = 0;
        int end = (int)(center + support + 0.5);
        if (end > in_size) end = in_size;
        int n = end - first;
        if (n > taps) n = taps;
        if (n < 0) n = 0;
        double total = 0.0;
        for (int i = 0; i < n; i++) {
            double w = filter_value(filter, ((double)(i + first) - center + 0.5) * inverse_scale);
            values[i] = w;
            total += w;
        }
        int32_t *weights = plan->weights + (size_t)o * (size_t)taps;
        for (int i = 0; i < n; i++) {
            double w = total != 0.0 ? values[i] / total : values[i];
            double scaled = w * (1 << FRACTION_BITS);
            weights[i] = (int32_t)(w < 0 ? scaled - 0.5 : scaled + 0.5);
        }
        plan->first[o] = first;
        plan->count[o] = n;
    }
    free(values);
    return 0;
}

static inline uint8_t clip_fixed(int32_t sum) {
    int32_t v = sum >> FRACTION_BITS;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

// One band count per loop so that the compiler keeps the sums in registers.
#define HORIZONTAL_ROW(BANDS)                                                                  \
    for (int o = 0; o < out_width; o++) {                                                      \
        const int32_t *w = plan->weights + (size_t)o * (size_t)plan->taps;                     \
        const uint8_t *p = in + (size_t)plan->first[o] * (BANDS);                              \
        int n = plan->count[o];                                                                \
        int32_t s[BANDS];                                                                      \
        for (int b = 0; b < (BANDS); b++) s[b] = half;                                         \
        for (int t = 0; t < n; t++, p += (BANDS))                                              \
            for (int b = 0; b < (BANDS); b++) s[b] += p[b] * w[t];                             \
        for (int b = 0; b < (BANDS); b++) out[(size_t)o * (BANDS) + b] = clip_fixed(s[b]);     \
    }

static void horizontal_pass(const uint8_t *src, int in_width, int bands, int row_begin,
                            int row_end, const axis_plan *plan, uint8_t *dst, int out_width) {
    const int32_t half = 1 << (FRACTION_BITS - 1);
    size_t in_stride = (size_t)in_width * (size_t)bands;
    size_t out_stride = (size_t)out_width * (size_t)bands;
    for (int y = row_begin; y < row_end; y++) {
        const uint8_t *in = src + (size_t)y * in_stride;
        uint8_t *out = dst + (size_t)(y - row_begin) * out_stride;
        switch (bands) {
        case 1: HORIZONTAL_ROW(1) break;
        case 3: HORIZONTAL_ROW(3) break;
        default: HORIZONTAL_ROW(4) break;
        }
    }
}

// Rows `row_offset` and on of `src` are the first the plan refers to (the horizontal pass only made
// the rows the vertical one reads). Sums run across a whole row at a time, which vectorises.
static int vertical_pass(const uint8_t *src, size_t stride, int row_offset, const axis_plan *plan,
                         uint8_t *dst, int out_height) {
    int32_t *sums = malloc(sizeof(int32_t) * (stride ? stride : 1));
    if (!sums) return -1;
    const int32_t half = 1 << (FRACTION_BITS - 1);
    for (int o = 0; o < out_height; o++) {
        const int32_t *w = plan->weights + (size_t)o * (size_t)plan->taps;
        for (size_t i = 0; i < stride; i++) sums[i] = half;
        for (int t = 0; t < plan->count[o]; t++) {
            const uint8_t *row = src + (size_t)(plan->first[o] - row_offset + t) * stride;
            int32_t weight = w[t];
            for (size_t i = 0; i < stride; i++) sums[i] += row[i] * weight;
        }
        uint8_t *out = dst + (size_t)o * stride;
        for (size_t i = 0; i < stride; i++) out[i] = clip_fixed(sums[i]);
    }
    free(sums);
    return 0;
}

int trenza_resample(const uint8_t *src, int in_width, int in_height, int bands, const float box[4],
                    trenza_resample_filter filter, uint8_t *dst, int out_width, int out_height) {
    // Pillow's tests, including its comparison of the box's right edge with the output width.
    int horizontal = out_width != in_width || box[0] != 0 || box[2] != out_width;
    int vertical = out_height != in_height || box[1] != 0 || box[3] != out_height;

    axis_plan across = {0}, down = {0};
    if (plan_axis(in_width, box[0], box[2], out_width, filter, &across) != 0) return -1;
    if (plan_axis(in_height, box[1], box[3], out_height, filter, &down) != 0) {
        free_plan(&across);
        return -1;
    }
    int status = 0;
    size_t out_stride = (size_t)out_width * (size_t)bands;
    if (horizontal && vertical) {
        int row_begin = down.first[0];
        int row_end = down.first[out_height - 1] + down.count[out_height - 1];
        if (row_end < row_begin) row_end = row_begin;
        uint8_t *rows = malloc(out_stride * (size_t)(row_end - row_begin) + 1);
        if (rows) {
            horizontal_pass(src, in_width, bands, row_begin, row_end, &across, rows, out_width);
            status = vertical_pass(rows, out_stride, row_begin, &down, dst, out_height);
            free(rows);
        } else {
            status = -1;
        }
    } else if (horizontal) {
        horizontal_pass(src, in_width, bands, 0, out_height, &across, dst, out_width);
    } else if (vertical) {
        status = vertical_pass(src, out_stride, 0, &down, dst, out_height);
    } else {
        memcpy(dst, src, out_stride * (size_t)out_height);
    }
    free_plan(&across);
    free_plan(&down);
    return status;
}

// Pillow truncates towards zero, except that every negative position is off the image.
static inline int source_index(double position) {
    return position < 0.0 ? -1 : (int)position;
}

int trenza_resize_nearest(const uint8_t *src, int in_width, int in_height, int bands,
                          const float box[4], uint8_t *dst, int out_width, int out_height) {
    double step_x = (double)(box[2] - box[0]) / out_width;
    double step_y = (double)(box[3] - box[1]) / out_height;
    int *columns = malloc(sizeof(int) * (size_t)out_width);
    if (!columns) return -1;
    // Positions accumulate step by step, as Pillow's do: multiplying instead could round the other
    // way at a pixel edge.
    double x_position = (double)box[0] + step_x * 0.5;
    for (int x = 0; x < out_width; x++) {
        int column = source_index(x_position);
        columns[x] = column < in_width ? column : -1;
        x_position += step_x;
    }
    size_t in_stride = (size_t)in_width * (size_t)bands;
    size_t out_stride = (size_t)out_width * (size_t)bands;
    double y_position = (double)box[1] + step_y * 0.5;
    for (int y = 0; y < out_height; y++, y_position += step_y) {
        uint8_t *out = dst + (size_t)y * out_stride;
        int row = source_index(y_position);
        if (row < 0 || row >= in_height) {
            memset(out, 0, out_stride);
            continue;
        }
        const uint8_t *in = src + (size_t)row * in_stride;
        for (int x = 0; x < out_width; x++) {
            if (columns[x] < 0) {
                memset(out + (size_t)x * bands, 0, (size_t)bands);
            } else {
                memcpy(out + (size_t)x * bands, in + (size_t)columns[x] * bands, (size_t)bands);
            }
        }
    }
    free(columns);
    return 0;
}
