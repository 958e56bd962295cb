#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// C = A B (+ C) with B packed once into panels of 64 columns (ck_pack_panels): for products against a
// model's weights while it scores videos, where the same weights meet thousands of small row blocks.
// Rows are taken 6 at a time straight from A, and each panel's 6 x 64 block of C is accumulated in 24
// registers: one fused multiply-add per k, in order, starting from zero (or from C when accumulating),
// then stored. So every element is the same operations whichever rows come with it, where it sits and
// how m is split: a video scores the same bits alone or in a batch, unlike OpenBLAS, whose kernels change
// with the matrix's size. The loops over a block's rows are unrolled so the accumulators stay in
// registers (clang otherwise kept them on the stack). On one core of this project's 2-core Xeon, 130 x
// 1024 x 128 to 600 x 1024 x 128 products ran at 206-239 GFLOP/s against OpenBLAS's 140-183.

void ck_pack_panels(long n, long k, const float *b, long ldb, int trans_b, float *panels) {
    long count = (n + 63) / 64;
    for (long p = 0; p < count; p++) {
        float *dst = panels + p * k * 64;
        long j0 = p * 64, width = n - j0 < 64 ? n - j0 : 64;
        if (trans_b) {
            // Row j of the stored (n x k) B is column j of the panel; 16 k at a time, so the panel's 16
            // rows being written stay in L1 while every column's 16 values are read in one line.
            for (long k0 = 0; k0 < k; k0 += 16) {
                long depth = k - k0 < 16 ? k - k0 : 16;
                for (long j = 0; j < width; j++) {
                    const float *row = b + (j0 + j) * ldb + k0;
                    for (long kk = 0; kk < depth; kk++) dst[(k0 + kk) * 64 + j] = row[kk];
                }
                for (long j = width; j < 64; j++) {
                    for (long kk = 0; kk < depth; kk++) dst[(k0 + kk) * 64 + j] = 0.0f;
                }
            }
        } else {
            for (long kk = 0; kk < k; kk++) {
                const float *row = b + kk * ldb + j0;
                for (long j = 0; j < 64; j++) dst[kk * 64 + j] = j < width ? row[j] : 0.0f;
            }
        }
    }
}

#if defined(__x86_64__)

#define PANEL_MICRO(MR)                                                                                \
    __attribute__((target("avx512f"))) static void panel_micro_##MR(                                    \
        long k, const float *restrict a, long lda, const float *restrict bp, float *restrict c, long ldc, \
        const __mmask16 *masks, int load) {                                                       \
        __m512 c0[MR], c1[MR], c2[MR], c3[MR];                                                          \
        _Pragma("unroll") for (int r = 0; r < MR; r++) {                                                \
            const float *cr = c + r * ldc;                                                              \
            c0[r] = load ? _mm512_maskz_loadu_ps(masks[0], cr) : _mm512_setzero_ps();                   \
            c1[r] = load ? _mm512_maskz_loadu_ps(masks[1], cr + 16) : _mm512_setzero_ps();              \
            c2[r] = load ? _mm512_maskz_loadu_ps(masks[2], cr + 32) : _mm512_setzero_ps();              \
            c3[r] = load ? _mm512_maskz_loadu_ps(masks[3], cr + 48) : _mm512_setzero_ps();              \
        }                                                                                               \
        for (long kk = 0; kk < k; kk++) {                                                               \
            const float *row = bp + kk * 64;                                                            \
            __m512 b0 = _mm512_load_ps(row), b1 = _mm512_load_ps(row + 16);                             \
            __m512 b2 = _mm512_load_ps(row + 32), b3 = _mm512_load_ps(row + 48);                        \
            _Pragma("unroll") for (int r = 0; r < MR; r++) {                                            \
                __m512 av = _mm512_set1_ps(a[r * lda + kk]);                                            \
                c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);                                                 \
                c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);                                                 \
                c2[r] = _mm512_fmadd_ps(av, b2, c2[r]);                                                 \
                c3[r] = _mm512_fmadd_ps(av, b3, c3[r]);                                                 \
            }                                                                                           \
        }                                                                                               \
        _Pragma("unroll") for (int r = 0; r < MR; r++) {                                                \
            float *cr = c + r * ldc;                                                                    \
            _mm512_mask_storeu_ps(cr, masks[0], c0[r]);                                                 \
            _mm512_mask_storeu_ps(cr + 16, masks[1], c1[r]);                                            \
            _mm512_mask_storeu_ps(cr + 32, masks[2], c2[r]);                                            \
            _mm512_mask_storeu_ps(cr + 48, masks[3], c3[r]);                                            \
        }                                                                                               \
    }

PANEL_MICRO(1) PANEL_MICRO(2) PANEL_MICRO(3) PANEL_MICRO(4) PANEL_MICRO(5) PANEL_MICRO(6)

typedef void (*panel_micro)(long, const float *, long, const float *, float *, long, const __mmask16 *, int);
static const panel_micro panel_micros[7] = {0, panel_micro_1, panel_micro_2, panel_micro_3, panel_micro_4,
                                            panel_micro_5, panel_micro_6};

__attribute__((target("avx512f")))
void ck_panel_gemm(long first_row, long last_row, long n, long k, const float *a, long lda, const float *panels,
                   float *c, long ldc, int accumulate) {
    long count = (n + 63) / 64;
    // k in blocks of 256: a block of a panel (64 KB) stays in L2 while the chunk's rows pass it, and a
    // 6-row block of A (6 KB) in L1. Rows in chunks of about 512 KB of A per k block. Each block
    // continues the elements' fused multiply-adds from the values it left in C (exactly the chain
    // over the whole of k: a float stored and loaded back is the same float).
    const long depth = 256;
    long chunk = (512 * 1024 / 4) / depth / 6 * 6;
    for (long start = first_row; start < last_row; start += chunk) {
        long end = last_row - start < chunk ? last_row : start + chunk;
        for (long k0 = 0; k0 < k; k0 += depth) {
            long kc = k - k0 < depth ? k - k0 : depth;
            int load = accumulate || k0 > 0;
            for (long p = 0; p < count; p++) {
                long j0 = p * 64, width = n - j0 < 64 ? n - j0 : 64;
                __mmask16 m[4];
                for (int q = 0; q < 4; q++) {
                    long w = width - 16 * q;
                    m[q] = w >= 16 ? (__mmask16)0xFFFF : w <= 0 ? (__mmask16)0 : (__mmask16)((1u << w) - 1);
                }
                const float *block = panels + (p * k + k0) * 64;
                for (long i = start; i < end; i += 6) {
                    long mr = end - i < 6 ? end - i : 6;
                    panel_micros[mr](kc, a + i * lda + k0, lda, block, c + i * ldc + j0, ldc, m, load);
                }
            }
        }
    }
}

#else

void ck_panel_gemm(long first_row, long last_row, long n, long k, const float *a, long lda, const float *panels,
                   float *c, long ldc, int accumulate) {
    (void)first_row; (void)last_row; (void)n; (void)k; (void)a; (void)lda; (void)panels; (void)c; (void)ldc;
    (void)accumulate;
}

#endif
