#include "CKernels.h"
#include "FastExp.h"

#include <math.h>
#include <stddef.h>

// Row softmax and its gradient. Each row runs sixteen independent lanes (element j in lane j % 16,
// summed across lanes in a fixed order at the end), so the compiler vectorises the loops at any width
// and a row's result depends only on the row: never on the thread split or on the other rows.

enum { LANES = 16 };

#define KEPT(mask, j) ((mask) == NULL || (mask)[j] != 0)

static inline float lanes_sum(const float *lanes) {
    float total = 0;
    for (int l = 0; l < LANES; l++) total += lanes[l];
    return total;
}

// y = softmax(x) over the kept positions, 0 at the excluded ones; all excluded gives zeros.
#define SOFTMAX_ROW_BODY                                                                             \
    float lanes[LANES];                                                                              \
    for (int l = 0; l < LANES; l++) lanes[l] = -INFINITY;                                            \
    long full = length - length % LANES;                                                             \
    for (long j = 0; j < full; j += LANES)                                                           \
        for (int l = 0; l < LANES; l++) {                                                            \
            float v = KEPT(mask, j + l) ? x[j + l] : -INFINITY;                                      \
            lanes[l] = v > lanes[l] ? v : lanes[l];                                                  \
        }                                                                                            \
    for (long j = full; j < length; j++) {                                                           \
        float v = KEPT(mask, j) ? x[j] : -INFINITY;                                                  \
        lanes[j - full] = v > lanes[j - full] ? v : lanes[j - full];                                 \
    }                                                                                                \
    float m = -INFINITY;                                                                             \
    for (int l = 0; l < LANES; l++) m = lanes[l] > m ? lanes[l] : m;                                 \
    if (m == -INFINITY) {                                                                            \
        for (long j = 0; j < length; j++) y[j] = 0;                                                  \
        return;                                                                                      \
    }                                                                                                \
    for (int l = 0; l < LANES; l++) lanes[l] = 0;                                                    \
    for (long j = 0; j < full; j += LANES)                                                           \
        for (int l = 0; l < LANES; l++) {                                                            \
            float e = KEPT(mask, j + l) ? fast_exp(x[j + l] - m) : 0.0f;                             \
            y[j + l] = e;                                                                            \
            lanes[l] += e;                                                                           \
        }                                                                                            \
    for (long j = full; j < length; j++) {                                                           \
        float e = KEPT(mask, j) ? fast_exp(x[j] - m) : 0.0f;                                         \
        y[j] = e;                                                                                    \
        lanes[j - full] += e;                                                                        \
    }                                                                                                \
    float inverse = 1 / lanes_sum(lanes);                                                            \
    for (long j = 0; j < length; j++) y[j] *= inverse;

// gx = y * (g - sum(g * y)).
#define SOFTMAX_BACKWARD_ROW_BODY                                                                    \
    float lanes[LANES];                                                                              \
    for (int l = 0; l < LANES; l++) lanes[l] = 0;                                                    \
    long full = length - length % LANES;                                                             \
    for (long j = 0; j < full; j += LANES)                                                           \
        for (int l = 0; l < LANES; l++) lanes[l] += y[j + l] * g[j + l];                             \
    for (long j = full; j < length; j++) lanes[j - full] += y[j] * g[j];                             \
    float dot = lanes_sum(lanes);                                                                    \
    for (long j = 0; j < length; j++) gx[j] = y[j] * (g[j] - dot);

#define SOFTMAX_ROWS(name, attribute)                                                                \
    attribute static inline void name##_row(const float *restrict x, float *restrict y, long length,   \
                                            const float *restrict mask) { SOFTMAX_ROW_BODY }           \
    attribute static void name(const float *x, float *y, long first, long last, long length,          \
                               const float *key_mask, long rows_per_mask) {                           \
        for (long r = first; r < last; r++) {                                                        \
            const float *mask = key_mask == NULL ? NULL : key_mask + (r / rows_per_mask) * length;   \
            name##_row(x + r * length, y + r * length, length, mask);                                \
        }                                                                                            \
    }

#define SOFTMAX_BACKWARD_ROWS(name, attribute)                                                       \
    attribute static inline void name##_row(const float *restrict y, const float *restrict g,          \
                                            float *restrict gx, long length) { SOFTMAX_BACKWARD_ROW_BODY } \
    attribute static void name(const float *y, const float *g, float *gx, long first, long last, long length) { \
        for (long r = first; r < last; r++) name##_row(y + r * length, g + r * length, gx + r * length, length); \
    }

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,fma")))
#define AVX2 __attribute__((target("avx2,fma")))
SOFTMAX_ROWS(softmax_rows_avx512, AVX512)
SOFTMAX_ROWS(softmax_rows_avx2, AVX2)
SOFTMAX_BACKWARD_ROWS(softmax_backward_rows_avx512, AVX512)
SOFTMAX_BACKWARD_ROWS(softmax_backward_rows_avx2, AVX2)
#endif
SOFTMAX_ROWS(softmax_rows_baseline, )
SOFTMAX_BACKWARD_ROWS(softmax_backward_rows_baseline, )

void ck_softmax_rows_level(int level, const float *x, float *y, long first_row, long last_row, long length,
                           const float *key_mask, long rows_per_mask) {
#if defined(__x86_64__)
    if (level >= 2) { softmax_rows_avx512(x, y, first_row, last_row, length, key_mask, rows_per_mask); return; }
    if (level == 1) { softmax_rows_avx2(x, y, first_row, last_row, length, key_mask, rows_per_mask); return; }
#endif
    (void)level;
    softmax_rows_baseline(x, y, first_row, last_row, length, key_mask, rows_per_mask);
}

void ck_softmax_rows(const float *x, float *y, long first_row, long last_row, long length, const float *key_mask,
                     long rows_per_mask) {
    ck_softmax_rows_level(ck_kernel_level(), x, y, first_row, last_row, length, key_mask, rows_per_mask);
}

void ck_softmax_backward_rows_level(int level, const float *y, const float *g, float *gx, long first_row, long last_row,
                                    long length) {
#if defined(__x86_64__)
    if (level >= 2) { softmax_backward_rows_avx512(y, g, gx, first_row, last_row, length); return; }
    if (level == 1) { softmax_backward_rows_avx2(y, g, gx, first_row, last_row, length); return; }
#endif
    (void)level;
    softmax_backward_rows_baseline(y, g, gx, first_row, last_row, length);
}

void ck_softmax_backward_rows(const float *y, const float *g, float *gx, long first_row, long last_row, long length) {
    ck_softmax_backward_rows_level(ck_kernel_level(), y, g, gx, first_row, last_row, length);
}
