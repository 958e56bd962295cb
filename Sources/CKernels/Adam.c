#include "CKernels.h"

#include <math.h>
#include <stdint.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// One element of the update; the vector bodies below compute the same expression lane by lane.
static inline void adam_element(float *p, const float *g, float *m, float *v, const CKAdamStep *s) {
    float param = *p;
    float grad = *g + s->l2 * param;
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
// traffic of ordinary stores. Streaming stores need aligned addresses: a scalar head reaches alignment.
__attribute__((target("avx512f,fma")))
static void adam_avx512(float *p, const float *g, float *m, float *v, long count, const CKAdamStep *s) {
    long i = 0;
    while (i < count && ((uintptr_t)(p + i) & 63) != 0) { adam_element(p + i, g + i, m + i, v + i, s); i++; }
    // p, m and v share the alignment only when their offsets agree modulo 16 elements (always, for
    // 64-byte aligned buffers split at the same element); otherwise stay scalar.
    int aligned = (((uintptr_t)(m + i) | (uintptr_t)(v + i)) & 63) == 0;
    if (aligned) {
        const __m512 b1 = _mm512_set1_ps(s->beta1), c1 = _mm512_set1_ps(1 - s->beta1);
        const __m512 b2 = _mm512_set1_ps(s->beta2), c2 = _mm512_set1_ps(1 - s->beta2);
        const __m512 l2 = _mm512_set1_ps(s->l2), decay = _mm512_set1_ps(s->decay);
        const __m512 step = _mm512_set1_ps(s->step_size), root = _mm512_set1_ps(s->bias2_root);
        const __m512 eps = _mm512_set1_ps(s->eps);
        for (; i + 16 <= count; i += 16) {
            __m512 param = _mm512_load_ps(p + i);
            __m512 grad = _mm512_fmadd_ps(l2, param, _mm512_loadu_ps(g + i));
            __m512 mj = _mm512_fmadd_ps(b1, _mm512_load_ps(m + i), _mm512_mul_ps(c1, grad));
            __m512 vj = _mm512_fmadd_ps(b2, _mm512_load_ps(v + i), _mm512_mul_ps(_mm512_mul_ps(c2, grad), grad));
            __m512 denominator = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vj), root), eps);
            __m512 update = _mm512_div_ps(_mm512_mul_ps(step, mj), denominator);
            _mm512_stream_ps(m + i, mj);
            _mm512_stream_ps(v + i, vj);
            _mm512_stream_ps(p + i, _mm512_fmsub_ps(param, decay, update));
        }
        _mm_sfence();
    }
    for (; i < count; i++) adam_element(p + i, g + i, m + i, v + i, s);
}

__attribute__((target("avx2,fma")))
static void adam_avx2(float *p, const float *g, float *m, float *v, long count, const CKAdamStep *s) {
    long i = 0;
    while (i < count && ((uintptr_t)(p + i) & 31) != 0) { adam_element(p + i, g + i, m + i, v + i, s); i++; }
    int aligned = (((uintptr_t)(m + i) | (uintptr_t)(v + i)) & 31) == 0;
    if (aligned) {
        const __m256 b1 = _mm256_set1_ps(s->beta1), c1 = _mm256_set1_ps(1 - s->beta1);
        const __m256 b2 = _mm256_set1_ps(s->beta2), c2 = _mm256_set1_ps(1 - s->beta2);
        const __m256 l2 = _mm256_set1_ps(s->l2), decay = _mm256_set1_ps(s->decay);
        const __m256 step = _mm256_set1_ps(s->step_size), root = _mm256_set1_ps(s->bias2_root);
        const __m256 eps = _mm256_set1_ps(s->eps);
        for (; i + 8 <= count; i += 8) {
            __m256 param = _mm256_load_ps(p + i);
            __m256 grad = _mm256_fmadd_ps(l2, param, _mm256_loadu_ps(g + i));
            __m256 mj = _mm256_fmadd_ps(b1, _mm256_load_ps(m + i), _mm256_mul_ps(c1, grad));
            __m256 vj = _mm256_fmadd_ps(b2, _mm256_load_ps(v + i), _mm256_mul_ps(_mm256_mul_ps(c2, grad), grad));
            __m256 denominator = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vj), root), eps);
            __m256 update = _mm256_div_ps(_mm256_mul_ps(step, mj), denominator);
            _mm256_stream_ps(m + i, mj);
            _mm256_stream_ps(v + i, vj);
            _mm256_stream_ps(p + i, _mm256_fmsub_ps(param, decay, update));
        }
        _mm_sfence();
    }
    for (; i < count; i++) adam_element(p + i, g + i, m + i, v + i, s);
}
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
