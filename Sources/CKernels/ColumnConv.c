#include "CKernels.h"

// A (K, 1) convolution of a one-channel image (TensorCore's columnConvForward with C = 1): each output
// row of channel o is bias[o] plus, tap by tap in order, w[o][i] times input row r + i * dilation - pad,
// for the taps that land inside the image. The sgemm path it replaces filled the bias and then added one
// rank-1 product per tap over the whole output (K = 1): each tap's product rounded, then added to the
// running sum, which is what this loop does in one pass over the output instead of K + 1. Contraction
// into fused multiply-adds is off so the product rounds before the add, as it does there.

#define COLUMN_CONV_PARAMETERS                                                                      \
    const float *restrict x, const float *restrict w, const float *restrict bias, float *restrict out,    \
    long channels, long height, long width, long outHeight, long taps, long dilation, long pad

#define COLUMN_CONV_LOOP                                                                            \
    _Pragma("clang fp contract(off)")                                                               \
    for (long o = 0; o < channels; o++) {                                                           \
        const float b = bias ? bias[o] : 0.0f;                                                      \
        for (long r = 0; r < outHeight; r++) {                                                      \
            float *restrict row = out + (o * outHeight + r) * width;                               \
            for (long p = 0; p < width; p++) row[p] = b;                                            \
            for (long i = 0; i < taps; i++) {                                                       \
                long source = r + i * dilation - pad;                                               \
                if (source < 0 || source >= height) continue;                                       \
                const float weight = w[o * taps + i];                                               \
                const float *restrict in = x + source * width;                                      \
                for (long p = 0; p < width; p++) {                                                  \
                    float product = weight * in[p];                                                 \
                    row[p] = row[p] + product;                                                      \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq,avx512vl")))
static void column_conv_avx512(COLUMN_CONV_PARAMETERS) { COLUMN_CONV_LOOP }
__attribute__((target("avx2"))) static void column_conv_avx2(COLUMN_CONV_PARAMETERS) { COLUMN_CONV_LOOP }
#endif
static void column_conv_baseline(COLUMN_CONV_PARAMETERS) { COLUMN_CONV_LOOP }

void ck_column_conv_one_channel_level(int level, const float *x, const float *w, const float *bias, float *out,
                                      long channels, long height, long width, long outHeight, long taps,
                                      long dilation, long pad) {
#if defined(__x86_64__)
    if (level >= 2) { column_conv_avx512(x, w, bias, out, channels, height, width, outHeight, taps, dilation, pad); return; }
    if (level == 1) { column_conv_avx2(x, w, bias, out, channels, height, width, outHeight, taps, dilation, pad); return; }
#endif
    (void)level;
    column_conv_baseline(x, w, bias, out, channels, height, width, outHeight, taps, dilation, pad);
}

void ck_column_conv_one_channel(const float *x, const float *w, const float *bias, float *out, long channels,
                                long height, long width, long outHeight, long taps, long dilation, long pad) {
    ck_column_conv_one_channel_level(ck_kernel_level(), x, w, bias, out, channels, height, width, outHeight, taps,
                                     dilation, pad);
}
