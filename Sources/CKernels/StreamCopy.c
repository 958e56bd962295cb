#include "CKernels.h"

#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Non-temporal stores write whole cache lines to memory without first reading them in, so a copy moves
// two streams (read the source, write the destination) instead of three, and does not evict the cache
// for data nobody reads soon. Only for copies far larger than the cache, whose destination will not be
// read back from it anyway (a training batch of tens of MB).

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void stream_copy_avx512(float *restrict dst, const float *restrict src, long count) {
    long i = 0;
    for (; i < count && ((uintptr_t)(dst + i) & 63) != 0; i++) dst[i] = src[i];
    for (; i + 16 <= count; i += 16) _mm512_stream_ps(dst + i, _mm512_loadu_ps(src + i));
    for (; i < count; i++) dst[i] = src[i];
    _mm_sfence();
}

__attribute__((target("avx2")))
static void stream_copy_avx2(float *restrict dst, const float *restrict src, long count) {
    long i = 0;
    for (; i < count && ((uintptr_t)(dst + i) & 31) != 0; i++) dst[i] = src[i];
    for (; i + 8 <= count; i += 8) _mm256_stream_ps(dst + i, _mm256_loadu_ps(src + i));
    for (; i < count; i++) dst[i] = src[i];
    _mm_sfence();
}
#endif

void ck_stream_copy_level(int level, float *dst, const float *src, long count) {
#if defined(__x86_64__)
    if (level >= 2) { stream_copy_avx512(dst, src, count); return; }
    if (level == 1) { stream_copy_avx2(dst, src, count); return; }
#endif
    (void)level;
    memcpy(dst, src, (size_t)count * sizeof(float));
}

void ck_stream_copy(float *dst, const float *src, long count) { ck_stream_copy_level(ck_kernel_level(), dst, src, count); }
