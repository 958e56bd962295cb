#include "CKernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// One element of the update; the vector bodies below compute the same expression lane by lane.
static inline void adam_element(float *p, const float *g, float *m, float *v, const CKAdamStep *s) {
    float param = *p;
    // Scaled in its own statement, so the compiler cannot fuse it into the weight decay's multiply-add.
    float grad = *g * s->grad_scale;
    grad = grad + s->l2 * param;
    float mj = s->beta1 * *m + (1 - s->beta1) * grad;
    float vj = s->beta2 * *v + (1 - s->beta2) * grad * grad;
    *m = mj;
    *v = vj;
    *p = param * s->decay - s->step_size * mj / (sqrtf(vj) / s->bias2_root + s->eps);
}

static void adam_baseline(float *p, const float *g, float *m, float *v, long count, const CKAdamStep *s) {
    for (long i = 0; i < count; i++) adam_element(p + i, g + i, m + i, v + i, s);
}

#if defined(__x86_64__)
// The state is read once and written once per step and not touched again until the next step, so the
// stores bypass the cache (streaming stores): no read-for-ownership of p, m and v, about half the memory
// traffic of ordinary stores. One body for both widths, in the compiler's vector types; streaming stores
// need aligned addresses, so a scalar head reaches alignment first and p, m and v must share it (always
// true for 64-byte aligned buffers split at the same element).
typedef float float16v __attribute__((vector_size(64)));
typedef float float8v __attribute__((vector_size(32)));

#define ADAM_STREAMING(NAME, TARGET, V, WIDTH)                                                        \
    __attribute__((target(TARGET))) static void NAME(float *p, const float *g, float *m, float *v,   \
                                                     long count, const CKAdamStep *s) {               \
        long i = 0;                                                                                   \
        while (i < count && ((uintptr_t)(p + i) % sizeof(V)) != 0) {                                  \
            adam_element(p + i, g + i, m + i, v + i, s);                                              \
            i++;                                                                                      \
        }                                                                                             \
        if ((((uintptr_t)(m + i) | (uintptr_t)(v + i)) % sizeof(V)) == 0) {                           \
            for (; i + WIDTH <= count; i += WIDTH) {                                                  \
                V param = *(V *)(p + i), grad;                                                        \
                memcpy(&grad, g + i, sizeof grad);                                                    \
                grad *= s->grad_scale;                                                                \
                grad += s->l2 * param;                                                                \
                V mj = s->beta1 * *(V *)(m + i) + (1 - s->beta1) * grad;                              \
                V vj = s->beta2 * *(V *)(v + i) + (1 - s->beta2) * grad * grad;                       \
                V update = s->step_size * mj / (__builtin_elementwise_sqrt(vj) / s->bias2_root + s->eps); \
                __builtin_nontemporal_store(mj, (V *)(m + i));                                        \
                __builtin_nontemporal_store(vj, (V *)(v + i));                                        \
                __builtin_nontemporal_store(param * s->decay - update, (V *)(p + i));                 \
            }                                                                                         \
            _mm_sfence();                                                                             \
        }                                                                                             \
        for (; i < count; i++) adam_element(p + i, g + i, m + i, v + i, s);                           \
    }

ADAM_STREAMING(adam_avx512, "avx512f,fma", float16v, 16)
ADAM_STREAMING(adam_avx2, "avx2,fma", float8v, 8)
#endif

void ck_adam_update_level(int level, float *p, const float *g, float *m, float *v, long count, const CKAdamStep *step) {
#if defined(__x86_64__)
    if (level >= 2) { adam_avx512(p, g, m, v, count, step); return; }
    if (level == 1) { adam_avx2(p, g, m, v, count, step); return; }
#endif
    (void)level;
    adam_baseline(p, g, m, v, count, step);
}

void ck_adam_update(float *p, const float *g, float *m, float *v, long count, const CKAdamStep *step) {
    ck_adam_update_level(ck_kernel_level(), p, g, m, v, count, step);
}
