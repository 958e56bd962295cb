#include "CKernels.h"
#include "ReluDropoutLoops.h"

// ReLU then inverted dropout in one pass (TensorCore's reluDropout): y = relu(x) * (keep * scale), and its
// gradient gx = (g * (keep * scale)) * relu'(x), the products of the Swift loops these replace in their
// order, at the CPU's widest vectors. Products only, so every level gives the same bits.


// Batch norm's affine first (TensorCore's batchNormActivationDropout for ReLU): pre = x a, then + b, in
// separate statements so the compiler never fuses them, as batchNorm rounds them; then relu(pre), times
// (keep scale) when keep is given.
#define AFFINE_RELU_DROPOUT_FORWARD_LOOP                                                            \
    for (long i = 0; i < count; i++) {                                                              \
        float scaled = x[i] * a;                                                                    \
        float pre = scaled + b;                                                                     \
        float y0 = pre > 0 ? pre : 0.0f;                                                            \
        y[i] = keep ? y0 * ((float)keep[i] * scale) : y0;                                           \
    }

#define AFFINE_FORWARD_PARAMETERS                                                                   \
    const float *restrict x, float a, float b, const uint8_t *restrict keep, float scale, float *restrict y, long count
#define AFFINE_RELU_DROPOUT_FORWARD(suffix, attribute)                                              \
    attribute static void affine_relu_dropout_forward_##suffix(AFFINE_FORWARD_PARAMETERS) {         \
        if (keep) { AFFINE_RELU_DROPOUT_FORWARD_LOOP } else { const uint8_t *restrict keep = 0; AFFINE_RELU_DROPOUT_FORWARD_LOOP } \
    }

#define FORWARD_PARAMETERS const float *restrict x, const uint8_t *restrict keep, float scale, float *restrict y, long count
#define BACKWARD_PARAMETERS                                                                         \
    const float *restrict x, const uint8_t *restrict keep, float scale, const float *restrict g, float *restrict gx, long count

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw")))
static void relu_dropout_forward_avx512(FORWARD_PARAMETERS) { RELU_DROPOUT_FORWARD_LOOP }
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw")))
static void relu_dropout_backward_avx512(BACKWARD_PARAMETERS) { RELU_DROPOUT_BACKWARD_LOOP }
__attribute__((target("avx2"))) static void relu_dropout_forward_avx2(FORWARD_PARAMETERS) { RELU_DROPOUT_FORWARD_LOOP }
__attribute__((target("avx2"))) static void relu_dropout_backward_avx2(BACKWARD_PARAMETERS) { RELU_DROPOUT_BACKWARD_LOOP }
#endif
#if defined(__x86_64__)
AFFINE_RELU_DROPOUT_FORWARD(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"))))
AFFINE_RELU_DROPOUT_FORWARD(avx2, __attribute__((target("avx2"))))
#endif
AFFINE_RELU_DROPOUT_FORWARD(baseline, )
static void relu_dropout_forward_baseline(FORWARD_PARAMETERS) { RELU_DROPOUT_FORWARD_LOOP }
static void relu_dropout_backward_baseline(BACKWARD_PARAMETERS) { RELU_DROPOUT_BACKWARD_LOOP }

void ck_relu_dropout_forward_level(int level, const float *x, const uint8_t *keep, float scale, float *y, long count) {
#if defined(__x86_64__)
    if (level >= 2) { relu_dropout_forward_avx512(x, keep, scale, y, count); return; }
    if (level == 1) { relu_dropout_forward_avx2(x, keep, scale, y, count); return; }
#endif
    (void)level;
    relu_dropout_forward_baseline(x, keep, scale, y, count);
}

void ck_relu_dropout_backward_level(int level, const float *x, const uint8_t *keep, float scale, const float *g,
                                    float *gx, long count) {
#if defined(__x86_64__)
    if (level >= 2) { relu_dropout_backward_avx512(x, keep, scale, g, gx, count); return; }
    if (level == 1) { relu_dropout_backward_avx2(x, keep, scale, g, gx, count); return; }
#endif
    (void)level;
    relu_dropout_backward_baseline(x, keep, scale, g, gx, count);
}

void ck_relu_dropout_forward(const float *x, const uint8_t *keep, float scale, float *y, long count) {
    ck_relu_dropout_forward_level(ck_kernel_level(), x, keep, scale, y, count);
}

void ck_relu_dropout_backward(const float *x, const uint8_t *keep, float scale, const float *g, float *gx, long count) {
    ck_relu_dropout_backward_level(ck_kernel_level(), x, keep, scale, g, gx, count);
}

void ck_affine_relu_dropout_forward_level(int level, const float *x, float a, float b, const uint8_t *keep, float scale,
                                          float *y, long count) {
#if defined(__x86_64__)
    if (level >= 2) { affine_relu_dropout_forward_avx512(x, a, b, keep, scale, y, count); return; }
    if (level == 1) { affine_relu_dropout_forward_avx2(x, a, b, keep, scale, y, count); return; }
#endif
    (void)level;
    affine_relu_dropout_forward_baseline(x, a, b, keep, scale, y, count);
}

void ck_affine_relu_dropout_forward(const float *x, float a, float b, const uint8_t *keep, float scale, float *y, long count) {
    ck_affine_relu_dropout_forward_level(ck_kernel_level(), x, a, b, keep, scale, y, count);
}
