#include "CKernels.h"
#include "ReluDropoutLoops.h"

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

// Whole row ranges of a radius-1 band over rows of c floats in sequences of t rows (row r is frame r % t
// of its sequence; coefficients k (rows, 3) for offsets -1, 0, +1), so the per-row work stays inside one
// wide-vector function: the taps of a row are those inside its sequence with a nonzero coefficient, in
// offset order, summed by the band row loop above (the same additions as TensorCore's bandRow).
//
// Forward, rows [first, last): dst row r = start + its taps over x; with keep, the row goes through ReLU
// and dropout from a scratch row, y = relu(row) * (keep * scale), and only y is written.
#define BAND_FORWARD_ROWS_BODY(BAND_ROW, RELU_DROPOUT_ROW)                                          \
    float scratch[keep ? c : 1];                                                                    \
    for (long r = first; r < last; r++) {                                                           \
        long ti = r % t;                                                                            \
        int taps = 0;                                                                               \
        float kk[3] = {0, 0, 0};                                                                    \
        const float *ss[3] = {start, start, start};                                                 \
        for (int o = -1; o <= 1; o++) {                                                             \
            if (ti + o < 0 || ti + o >= t) continue;                                                \
            float kv = k[r * 3 + o + 1];                                                            \
            if (kv == 0) continue;                                                                  \
            kk[taps] = kv;                                                                          \
            ss[taps] = x + (r + o) * c;                                                             \
            taps++;                                                                                 \
        }                                                                                           \
        float *dst = keep ? scratch : y + r * c;                                                    \
        BAND_ROW(dst, start, taps, kk[0], ss[0], kk[1], ss[1], kk[2], ss[2], c);                    \
        if (keep) RELU_DROPOUT_ROW(scratch, keep + r * c, scale, y + r * c, c);                     \
    }

// Backward, columns [j0, j1) of every row: the band's transpose, gx row s = zero + k[s - o, o] gu[s - o]
// over o = -1, 0, +1 (sources inside the sequence, nonzero coefficients), and with sum, each gu row
// added into it in row order. gu is g, or with keep the ReLU-dropout gradient (g (keep scale)) relu'(y)
// of the rows whose forward output was y (out > 0 exactly where the ReLU's input was and the frame kept;
// dropped, both factors give the same signed zero), each computed once into `ring` (3 rows of c floats,
// read at the columns) just before the transpose first needs it.
#define BAND_TRANSPOSE_COLUMNS_BODY(BAND_ROW, ROW_SUM, RELU_DROPOUT_BACK)                           \
    long n = j1 - j0, computed = 0;                                                                 \
    for (long s = 0; s < rows; s++) {                                                               \
        if (keep) {                                                                                 \
            long needed = s + 1 < rows ? s + 1 : rows - 1;                                          \
            for (; computed <= needed; computed++) {                                                \
                long q = computed * c + j0;                                                         \
                RELU_DROPOUT_BACK(y + q, keep + q, scale, g + q, ring + (computed % 3) * c + j0, n);\
            }                                                                                       \
        }                                                                                           \
        long si = s % t;                                                                            \
        int taps = 0;                                                                               \
        float kk[3] = {0, 0, 0};                                                                    \
        const float *ss[3] = {zero, zero, zero};                                                    \
        for (int o = -1; o <= 1; o++) {                                                             \
            if (si - o < 0 || si - o >= t) continue;                                                \
            float kv = k[(s - o) * 3 + o + 1];                                                      \
            if (kv == 0) continue;                                                                  \
            kk[taps] = kv;                                                                          \
            ss[taps] = keep ? ring + ((s - o) % 3) * c : g + (s - o) * c;                           \
            taps++;                                                                                 \
        }                                                                                           \
        BAND_ROW(gx + s * c + j0, zero + j0, taps, kk[0], ss[0] + j0, kk[1], ss[1] + j0, kk[2], ss[2] + j0, n); \
        if (sum) ROW_SUM(sum + j0, (keep ? ring + (s % 3) * c : g + s * c) + j0, n);                \
    }

#define BAND_FORWARD_ROWS_PARAMETERS                                                                \
    const float *x, const float *k, const float *start, long t, long c, long first, long last,      \
        const uint8_t *keep, float scale, float *y
#define BAND_TRANSPOSE_COLUMNS_PARAMETERS                                                           \
    const float *g, const float *k, const float *zero, long t, long c, long rows, long j0, long j1,  \
        const float *y, const uint8_t *keep, float scale, float *ring, float *gx, float *sum

#define RELU_DROPOUT_ROW_PARAMETERS                                                                 \
    const float *restrict x, const uint8_t *restrict keep, float scale, float *restrict y, long count
#define RELU_DROPOUT_BACK_ROW_PARAMETERS                                                            \
    const float *restrict x, const uint8_t *restrict keep, float scale, const float *restrict g,     \
        float *restrict gx, long count

#if defined(__x86_64__)
#define AVX512_BW __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw")))
AVX512_BW static inline void relu_dropout_row_avx512(RELU_DROPOUT_ROW_PARAMETERS) { RELU_DROPOUT_FORWARD_LOOP }
AVX512_BW static inline void relu_dropout_back_row_avx512(RELU_DROPOUT_BACK_ROW_PARAMETERS) { RELU_DROPOUT_BACKWARD_LOOP }
AVX512_BW static void band_forward_rows_avx512(BAND_FORWARD_ROWS_PARAMETERS) {
    BAND_FORWARD_ROWS_BODY(band_row_avx512, relu_dropout_row_avx512)
}
AVX512_BW static void band_transpose_columns_avx512(BAND_TRANSPOSE_COLUMNS_PARAMETERS) {
    BAND_TRANSPOSE_COLUMNS_BODY(band_row_avx512, row_sum_avx512, relu_dropout_back_row_avx512)
}
__attribute__((target("avx2"))) static inline void relu_dropout_row_avx2(RELU_DROPOUT_ROW_PARAMETERS) { RELU_DROPOUT_FORWARD_LOOP }
__attribute__((target("avx2"))) static inline void relu_dropout_back_row_avx2(RELU_DROPOUT_BACK_ROW_PARAMETERS) { RELU_DROPOUT_BACKWARD_LOOP }
__attribute__((target("avx2"))) static void band_forward_rows_avx2(BAND_FORWARD_ROWS_PARAMETERS) {
    BAND_FORWARD_ROWS_BODY(band_row_avx2, relu_dropout_row_avx2)
}
__attribute__((target("avx2"))) static void band_transpose_columns_avx2(BAND_TRANSPOSE_COLUMNS_PARAMETERS) {
    BAND_TRANSPOSE_COLUMNS_BODY(band_row_avx2, row_sum_avx2, relu_dropout_back_row_avx2)
}
#endif
static inline void relu_dropout_row_baseline(RELU_DROPOUT_ROW_PARAMETERS) { RELU_DROPOUT_FORWARD_LOOP }
static inline void relu_dropout_back_row_baseline(RELU_DROPOUT_BACK_ROW_PARAMETERS) { RELU_DROPOUT_BACKWARD_LOOP }
static void band_forward_rows_baseline(BAND_FORWARD_ROWS_PARAMETERS) {
    BAND_FORWARD_ROWS_BODY(band_row_baseline, relu_dropout_row_baseline)
}
static void band_transpose_columns_baseline(BAND_TRANSPOSE_COLUMNS_PARAMETERS) {
    BAND_TRANSPOSE_COLUMNS_BODY(band_row_baseline, row_sum_baseline, relu_dropout_back_row_baseline)
}

void ck_band_forward_rows_level(int level, const float *x, const float *k, const float *start, long t, long c,
                                long first, long last, const uint8_t *keep, float scale, float *y) {
#if defined(__x86_64__)
    if (level >= 2) { band_forward_rows_avx512(x, k, start, t, c, first, last, keep, scale, y); return; }
    if (level == 1) { band_forward_rows_avx2(x, k, start, t, c, first, last, keep, scale, y); return; }
#endif
    (void)level;
    band_forward_rows_baseline(x, k, start, t, c, first, last, keep, scale, y);
}

void ck_band_forward_rows(const float *x, const float *k, const float *start, long t, long c, long first, long last,
                          const uint8_t *keep, float scale, float *y) {
    ck_band_forward_rows_level(ck_kernel_level(), x, k, start, t, c, first, last, keep, scale, y);
}

void ck_band_transpose_columns_level(int level, const float *g, const float *k, const float *zero, long t, long c,
                                     long rows, long j0, long j1, const float *y, const uint8_t *keep, float scale,
                                     float *ring, float *gx, float *sum) {
#if defined(__x86_64__)
    if (level >= 2) { band_transpose_columns_avx512(g, k, zero, t, c, rows, j0, j1, y, keep, scale, ring, gx, sum); return; }
    if (level == 1) { band_transpose_columns_avx2(g, k, zero, t, c, rows, j0, j1, y, keep, scale, ring, gx, sum); return; }
#endif
    (void)level;
    band_transpose_columns_baseline(g, k, zero, t, c, rows, j0, j1, y, keep, scale, ring, gx, sum);
}

void ck_band_transpose_columns(const float *g, const float *k, const float *zero, long t, long c, long rows, long j0,
                               long j1, const float *y, const uint8_t *keep, float scale, float *ring, float *gx,
                               float *sum) {
    ck_band_transpose_columns_level(ck_kernel_level(), g, k, zero, t, c, rows, j0, j1, y, keep, scale, ring, gx, sum);
}

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
