#include "CKernels.h"

// The band rows of TensorCore's bandAggregate (radius 1) and the row sums of its bias gradient, at the
// CPU's widest vectors (Swift compiles its loops 4 wide for baseline x86-64). No fused multiply-adds:
// every product is rounded before it is added, left to right, as the Swift loops computed it, so every
// level gives the same bits.
#pragma STDC FP_CONTRACT OFF

#define BAND_ROW_LOOP                                                                               \
    switch (taps) {                                                                                 \
    case 0:                                                                                         \
        for (long j = 0; j < count; j++) dst[j] = start[j];                                         \
        break;                                                                                      \
    case 1:                                                                                         \
        for (long j = 0; j < count; j++) dst[j] = start[j] + k0 * s0[j];                            \
        break;                                                                                      \
    case 2:                                                                                         \
        for (long j = 0; j < count; j++) dst[j] = start[j] + k0 * s0[j] + k1 * s1[j];               \
        break;                                                                                      \
    default:                                                                                        \
        for (long j = 0; j < count; j++) dst[j] = start[j] + k0 * s0[j] + k1 * s1[j] + k2 * s2[j];  \
    }

#define ROW_SUM_LOOP for (long j = 0; j < count; j++) sum[j] += x[j];

#define BAND_ROW_PARAMETERS                                                                         \
    float *restrict dst, const float *restrict start, int taps, float k0, const float *restrict s0, \
        float k1, const float *restrict s1, float k2, const float *restrict s2, long count

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq,avx512vl"))) static void band_row_avx512(BAND_ROW_PARAMETERS) { BAND_ROW_LOOP }
__attribute__((target("avx2"))) static void band_row_avx2(BAND_ROW_PARAMETERS) { BAND_ROW_LOOP }
__attribute__((target("avx512f,avx512dq,avx512vl")))
static void row_sum_avx512(float *restrict sum, const float *restrict x, long count) { ROW_SUM_LOOP }
__attribute__((target("avx2"))) static void row_sum_avx2(float *restrict sum, const float *restrict x, long count) { ROW_SUM_LOOP }
#endif
static void band_row_baseline(BAND_ROW_PARAMETERS) { BAND_ROW_LOOP }
static void row_sum_baseline(float *restrict sum, const float *restrict x, long count) { ROW_SUM_LOOP }

void ck_band_row_level(int level, float *dst, const float *start, int taps, float k0, const float *s0, float k1,
                       const float *s1, float k2, const float *s2, long count) {
#if defined(__x86_64__)
    if (level >= 2) { band_row_avx512(dst, start, taps, k0, s0, k1, s1, k2, s2, count); return; }
    if (level == 1) { band_row_avx2(dst, start, taps, k0, s0, k1, s1, k2, s2, count); return; }
#endif
    (void)level;
    band_row_baseline(dst, start, taps, k0, s0, k1, s1, k2, s2, count);
}

void ck_band_row(float *dst, const float *start, int taps, float k0, const float *s0, float k1, const float *s1, float k2,
                 const float *s2, long count) {
    ck_band_row_level(ck_kernel_level(), dst, start, taps, k0, s0, k1, s1, k2, s2, count);
}

void ck_row_sum_level(int level, float *sum, const float *x, long count) {
#if defined(__x86_64__)
    if (level >= 2) { row_sum_avx512(sum, x, count); return; }
    if (level == 1) { row_sum_avx2(sum, x, count); return; }
#endif
    (void)level;
    row_sum_baseline(sum, x, count);
}

void ck_row_sum(float *sum, const float *x, long count) { ck_row_sum_level(ck_kernel_level(), sum, x, count); }
