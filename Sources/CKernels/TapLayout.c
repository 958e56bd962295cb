#include "CKernels.h"

// A convolution weight (O, C, K) regrouped by tap, (O, K, C), and back. With K a compile-time 3 the
// loops are interleaved accesses of factor 3 that the compiler vectorises with shuffles; other K run
// the same loops with a runtime stride.

#define TAPS_TO_ROWS(K)                                                                             \
    for (long r = 0; r < o; r++) {                                                                  \
        const float *src = w + r * c * (K);                                                         \
        float *dst = out + r * c * (K);                                                             \
        for (long i = 0; i < (K); i++) {                                                            \
            for (long j = 0; j < c; j++) dst[i * c + j] = src[j * (K) + i];                         \
        }                                                                                           \
    }

#define ROWS_TO_TAPS(K)                                                                             \
    for (long r = 0; r < o; r++) {                                                                  \
        const float *src = t + r * c * (K);                                                         \
        float *dst = out + r * c * (K);                                                             \
        for (long j = 0; j < c; j++) {                                                              \
            for (long i = 0; i < (K); i++) dst[j * (K) + i] = src[i * c + j];                       \
        }                                                                                           \
    }

void ck_taps_to_rows(const float *restrict w, float *restrict out, long o, long c, long k) {
    if (k == 3) { TAPS_TO_ROWS(3) } else { TAPS_TO_ROWS(k) }
}

void ck_rows_to_taps(const float *restrict t, float *restrict out, long o, long c, long k) {
    if (k == 3) { ROWS_TO_TAPS(3) } else { ROWS_TO_TAPS(k) }
}
