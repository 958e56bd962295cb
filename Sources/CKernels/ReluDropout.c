#include "CKernels.h"
#include "ReluDropoutLoops.h"

// ReLU then inverted dropout in one pass (TensorCore's reluDropout): y = relu(x) * (keep * scale), and its
// gradient gx = (g * (keep * scale)) * relu'(x), the products of the Swift loops these replace in their
// order, at the CPU's widest vectors. Products only, so every level gives the same bits.


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
