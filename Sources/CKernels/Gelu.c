#include "CKernels.h"
#include "FastExp.h"

#include <stdint.h>

// Branch-free scalar formulas the compiler vectorises at each target's width. Same algorithms and
// constants as FastMath.swift; with FMA the products round once less, so results may differ from the
// Swift ones in the last bit.

// Phi(x) and phi(x) for GELU: erf(z) and e^(-z^2) at z = x / sqrt(2).
static inline void normal_cdf_pdf(float x, float *cdf, float *pdf) {
    float z = x * 0.70710678118654752f;
    float a = z < 0 ? -z : z;
    float t = 1 / (1 + 0.3275911f * a);
    float poly = 1.061405429f;
    poly = poly * t - 1.453152027f;
    poly = poly * t + 1.421413741f;
    poly = poly * t - 0.284496736f;
    poly = poly * t + 0.254829592f;
    poly *= t;
    float gaussian = fast_exp(-z * z);
    float magnitude = 1 - poly * gaussian;
    float erf = z < 0 ? -magnitude : magnitude;
    *cdf = 0.5f * (1 + erf);
    *pdf = gaussian * 0.39894228040143267f;
}

#define GELU_FORWARD_LOOP                                                                           \
    for (long i = 0; i < count; i++) {                                                              \
        float cdf, pdf;                                                                             \
        normal_cdf_pdf(x[i], &cdf, &pdf);                                                           \
        y[i] = x[i] * cdf;                                                                          \
    }

#define GELU_BACKWARD_LOOP                                                                          \
    for (long i = 0; i < count; i++) {                                                              \
        float cdf, pdf;                                                                             \
        normal_cdf_pdf(x[i], &cdf, &pdf);                                                           \
        gx[i] = g[i] * (cdf + x[i] * pdf);                                                          \
    }

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq,avx512vl,fma")))
static void gelu_forward_avx512(const float *restrict x, float *restrict y, long count) { GELU_FORWARD_LOOP }
__attribute__((target("avx512f,avx512dq,avx512vl,fma")))
static void gelu_backward_avx512(const float *restrict x, const float *restrict g, float *restrict gx, long count) {
    GELU_BACKWARD_LOOP
}
__attribute__((target("avx2,fma")))
static void gelu_forward_avx2(const float *restrict x, float *restrict y, long count) { GELU_FORWARD_LOOP }
__attribute__((target("avx2,fma")))
static void gelu_backward_avx2(const float *restrict x, const float *restrict g, float *restrict gx, long count) {
    GELU_BACKWARD_LOOP
}
#endif

static void gelu_forward_baseline(const float *restrict x, float *restrict y, long count) { GELU_FORWARD_LOOP }
static void gelu_backward_baseline(const float *restrict x, const float *restrict g, float *restrict gx, long count) {
    GELU_BACKWARD_LOOP
}

static int detected_level = 0;

// Runs once when the library loads, before any thread can call a kernel.
__attribute__((constructor)) static void detect_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
        detected_level = 2;
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        detected_level = 1;
    }
#endif
}

int ck_kernel_level(void) { return detected_level; }

void ck_gelu_forward_level(int level, const float *x, float *y, long count) {
#if defined(__x86_64__)
    if (level >= 2) { gelu_forward_avx512(x, y, count); return; }
    if (level == 1) { gelu_forward_avx2(x, y, count); return; }
#endif
    (void)level;
    gelu_forward_baseline(x, y, count);
}

void ck_gelu_backward_level(int level, const float *x, const float *g, float *gx, long count) {
#if defined(__x86_64__)
    if (level >= 2) { gelu_backward_avx512(x, g, gx, count); return; }
    if (level == 1) { gelu_backward_avx2(x, g, gx, count); return; }
#endif
    (void)level;
    gelu_backward_baseline(x, g, gx, count);
}

void ck_gelu_forward(const float *x, float *y, long count) { ck_gelu_forward_level(detected_level, x, y, count); }

void ck_gelu_backward(const float *x, const float *g, float *gx, long count) {
    ck_gelu_backward_level(detected_level, x, g, gx, count);
}

// GELU then inverted dropout in one pass: y = gelu(x) * keep * scale, and its gradient
// gx = (g * keep * scale) * gelu'(x), each the same float operations as the two separate passes.
#define GELU_DROPOUT_FORWARD_LOOP                                                                   \
    for (long i = 0; i < count; i++) {                                                              \
        float cdf, pdf;                                                                             \
        normal_cdf_pdf(x[i], &cdf, &pdf);                                                           \
        y[i] = (x[i] * cdf) * ((float)keep[i] * scale);                                             \
    }

#define GELU_DROPOUT_BACKWARD_LOOP                                                                  \
    for (long i = 0; i < count; i++) {                                                              \
        float cdf, pdf;                                                                             \
        normal_cdf_pdf(x[i], &cdf, &pdf);                                                           \
        gx[i] = (g[i] * ((float)keep[i] * scale)) * (cdf + x[i] * pdf);                             \
    }

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma")))
static void gelu_dropout_forward_avx512(const float *restrict x, const uint8_t *restrict keep, float scale,
                                        float *restrict y, long count) { GELU_DROPOUT_FORWARD_LOOP }
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma")))
static void gelu_dropout_backward_avx512(const float *restrict x, const uint8_t *restrict keep, float scale,
                                         const float *restrict g, float *restrict gx, long count) { GELU_DROPOUT_BACKWARD_LOOP }
__attribute__((target("avx2,fma")))
static void gelu_dropout_forward_avx2(const float *restrict x, const uint8_t *restrict keep, float scale,
                                      float *restrict y, long count) { GELU_DROPOUT_FORWARD_LOOP }
__attribute__((target("avx2,fma")))
static void gelu_dropout_backward_avx2(const float *restrict x, const uint8_t *restrict keep, float scale,
                                       const float *restrict g, float *restrict gx, long count) { GELU_DROPOUT_BACKWARD_LOOP }
#endif

static void gelu_dropout_forward_baseline(const float *restrict x, const uint8_t *restrict keep, float scale,
                                          float *restrict y, long count) { GELU_DROPOUT_FORWARD_LOOP }
static void gelu_dropout_backward_baseline(const float *restrict x, const uint8_t *restrict keep, float scale,
                                           const float *restrict g, float *restrict gx, long count) { GELU_DROPOUT_BACKWARD_LOOP }

void ck_gelu_dropout_forward_level(int level, const float *x, const uint8_t *keep, float scale, float *y, long count) {
#if defined(__x86_64__)
    if (level >= 2) { gelu_dropout_forward_avx512(x, keep, scale, y, count); return; }
    if (level == 1) { gelu_dropout_forward_avx2(x, keep, scale, y, count); return; }
#endif
    (void)level;
    gelu_dropout_forward_baseline(x, keep, scale, y, count);
}

void ck_gelu_dropout_backward_level(int level, const float *x, const uint8_t *keep, float scale, const float *g,
                                    float *gx, long count) {
#if defined(__x86_64__)
    if (level >= 2) { gelu_dropout_backward_avx512(x, keep, scale, g, gx, count); return; }
    if (level == 1) { gelu_dropout_backward_avx2(x, keep, scale, g, gx, count); return; }
#endif
    (void)level;
    gelu_dropout_backward_baseline(x, keep, scale, g, gx, count);
}

void ck_gelu_dropout_forward(const float *x, const uint8_t *keep, float scale, float *y, long count) {
    ck_gelu_dropout_forward_level(detected_level, x, keep, scale, y, count);
}

void ck_gelu_dropout_backward(const float *x, const uint8_t *keep, float scale, const float *g, float *gx, long count) {
    ck_gelu_dropout_backward_level(detected_level, x, keep, scale, g, gx, count);
}

// Batch norm's affine, then GELU, then (keep given) inverted dropout: y = gelu(x a + b) (keep scale), and
// the gradient reaching the affine's output, gy = (g (keep scale)) gelu'(x a + b). The affine rounds
// twice (x a, then + b, in separate statements so the compiler never fuses them), as TensorCore's
// batchNorm does, and the rest is ck_gelu_* / ck_gelu_dropout_*: the same bits as the composed ops.
#define AFFINE_GELU_FORWARD_LOOP                                                                    \
    for (long i = 0; i < count; i++) {                                                              \
        float scaled = x[i] * a;                                                                    \
        float pre = scaled + b;                                                                     \
        float cdf, pdf;                                                                             \
        normal_cdf_pdf(pre, &cdf, &pdf);                                                            \
        y[i] = keep ? (pre * cdf) * ((float)keep[i] * scale) : pre * cdf;                           \
    }

#define AFFINE_GELU_BACKWARD_LOOP                                                                   \
    for (long i = 0; i < count; i++) {                                                              \
        float scaled = x[i] * a;                                                                    \
        float pre = scaled + b;                                                                     \
        float cdf, pdf;                                                                             \
        normal_cdf_pdf(pre, &cdf, &pdf);                                                            \
        float up = keep ? g[i] * ((float)keep[i] * scale) : g[i];                                   \
        gy[i] = up * (cdf + pre * pdf);                                                             \
    }

#define AFFINE_GELU_KERNELS(suffix, attribute)                                                      \
    attribute static void affine_gelu_forward_##suffix(const float *restrict x, float a, float b,   \
        const uint8_t *restrict keep, float scale, float *restrict y, long count) {                 \
        if (keep) { AFFINE_GELU_FORWARD_LOOP } else { const uint8_t *restrict keep = NULL; AFFINE_GELU_FORWARD_LOOP } \
    }                                                                                               \
    attribute static void affine_gelu_backward_##suffix(const float *restrict x, float a, float b,  \
        const uint8_t *restrict keep, float scale, const float *restrict g, float *restrict gy, long count) { \
        if (keep) { AFFINE_GELU_BACKWARD_LOOP } else { const uint8_t *restrict keep = NULL; AFFINE_GELU_BACKWARD_LOOP } \
    }

#if defined(__x86_64__)
AFFINE_GELU_KERNELS(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))))
AFFINE_GELU_KERNELS(avx2, __attribute__((target("avx2,fma"))))
#endif
AFFINE_GELU_KERNELS(baseline, )

void ck_affine_gelu_forward_level(int level, const float *x, float a, float b, const uint8_t *keep, float scale, float *y,
                                  long count) {
#if defined(__x86_64__)
    if (level >= 2) { affine_gelu_forward_avx512(x, a, b, keep, scale, y, count); return; }
    if (level == 1) { affine_gelu_forward_avx2(x, a, b, keep, scale, y, count); return; }
#endif
    (void)level;
    affine_gelu_forward_baseline(x, a, b, keep, scale, y, count);
}

void ck_affine_gelu_backward_level(int level, const float *x, float a, float b, const uint8_t *keep, float scale,
                                   const float *g, float *gy, long count) {
#if defined(__x86_64__)
    if (level >= 2) { affine_gelu_backward_avx512(x, a, b, keep, scale, g, gy, count); return; }
    if (level == 1) { affine_gelu_backward_avx2(x, a, b, keep, scale, g, gy, count); return; }
#endif
    (void)level;
    affine_gelu_backward_baseline(x, a, b, keep, scale, g, gy, count);
}

void ck_affine_gelu_forward(const float *x, float a, float b, const uint8_t *keep, float scale, float *y, long count) {
    ck_affine_gelu_forward_level(detected_level, x, a, b, keep, scale, y, count);
}

void ck_affine_gelu_backward(const float *x, float a, float b, const uint8_t *keep, float scale, const float *g, float *gy,
                             long count) {
    ck_affine_gelu_backward_level(detected_level, x, a, b, keep, scale, g, gy, count);
}
