#include "CKernels.h"

// One row of batch norm's affine, ReLU and the row's mean (TensorCore's activatedRowMean for ReLU without
// dropout), at the CPU's widest vectors: chunks of `chunk` elements, each summed as TensorCore's vectorSum
// does (element i into lane i mod 16 of a 16-float accumulator, the lanes then added in order, then the
// chunk's tail one by one), the chunk sums added in double, the total rounded to float and scaled. x a and
// + b round separately (separate statements, so the compiler never fuses them), as batch norm does. The
// same operations in the same order at every level, so the same bits.
#define AFFINE_RELU_ROW_MEAN_BODY                                                                   \
    double sum = 0;                                                                                 \
    for (long start = 0; start < length; start += chunk) {                                          \
        long n = length - start < chunk ? length - start : chunk;                                   \
        const float *restrict p = x + start;                                                        \
        float lanes[16] = {0};                                                                      \
        long i = 0;                                                                                 \
        for (; i + 16 <= n; i += 16) {                                                              \
            for (int j = 0; j < 16; j++) {                                                          \
                float scaled = p[i + j] * a;                                                        \
                float pre = scaled + b;                                                             \
                lanes[j] += pre > 0 ? pre : 0.0f;                                                   \
            }                                                                                       \
        }                                                                                           \
        float s = lanes[0];                                                                         \
        for (int j = 1; j < 16; j++) s += lanes[j];                                                 \
        for (; i < n; i++) {                                                                        \
            float scaled = p[i] * a;                                                                \
            float pre = scaled + b;                                                                 \
            s += pre > 0 ? pre : 0.0f;                                                              \
        }                                                                                           \
        sum += (double)s;                                                                           \
    }                                                                                               \
    return (float)sum * scale;

#define ROW_MEAN_PARAMETERS const float *restrict x, long length, float a, float b, float scale, long chunk

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq,avx512vl")))
static float affine_relu_row_mean_avx512(ROW_MEAN_PARAMETERS) { AFFINE_RELU_ROW_MEAN_BODY }
__attribute__((target("avx2")))
static float affine_relu_row_mean_avx2(ROW_MEAN_PARAMETERS) { AFFINE_RELU_ROW_MEAN_BODY }
#endif
static float affine_relu_row_mean_baseline(ROW_MEAN_PARAMETERS) { AFFINE_RELU_ROW_MEAN_BODY }

float ck_affine_relu_row_mean_level(int level, const float *x, long length, float a, float b, float scale, long chunk) {
#if defined(__x86_64__)
    if (level >= 2) return affine_relu_row_mean_avx512(x, length, a, b, scale, chunk);
    if (level == 1) return affine_relu_row_mean_avx2(x, length, a, b, scale, chunk);
#endif
    (void)level;
    return affine_relu_row_mean_baseline(x, length, a, b, scale, chunk);
}

float ck_affine_relu_row_mean(const float *x, long length, float a, float b, float scale, long chunk) {
    return ck_affine_relu_row_mean_level(ck_kernel_level(), x, length, a, b, scale, chunk);
}
