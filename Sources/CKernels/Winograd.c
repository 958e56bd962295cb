#include "CKernels.h"

#include <string.h>

// The data-movement-and-add parts of Winograd F(2x2, 3x3) (TensorCore's WinogradKernels.swift), at the
// CPU's widest vectors. Only additions and subtractions, in the order the Swift code wrote them, so
// every level gives the same bits.

// Strips of one input row: even[t] = padded column 2t, odd[t] = padded column 2t + 1, t <= tiles_w, where
// padded column j is image column j - pad_w (zero outside the image). `row` is null for a row outside it.
#define WINOGRAD_SPLIT_ROW(SUFFIX)                                                                         \
    static inline void split_row_##SUFFIX(const float *restrict row, long w, long pad_w, long tiles_w,  \
                                          float *restrict padded, float *restrict even, float *restrict odd) { \
        long n = tiles_w + 1;                                                                       \
        if (!row) {                                                                                 \
            memset(even, 0, (size_t)n * sizeof(float));                                             \
            memset(odd, 0, (size_t)n * sizeof(float));                                              \
            return;                                                                                 \
        }                                                                                           \
        long copied = w < 2 * n - pad_w ? w : 2 * n - pad_w;                                        \
        memset(padded, 0, (size_t)pad_w * sizeof(float));                                           \
        memcpy(padded + pad_w, row, (size_t)copied * sizeof(float));                                \
        memset(padded + pad_w + copied, 0, (size_t)(2 * n - pad_w - copied) * sizeof(float));       \
        for (long t = 0; t < n; t++) {                                                              \
            even[t] = padded[2 * t];                                                                \
            odd[t] = padded[2 * t + 1];                                                             \
        }                                                                                           \
    }

#define WINOGRAD_INPUT_BLOCK(SUFFIX)                                                                       \
    static void input_block_##SUFFIX(const float *restrict x, long h, long w, long pad_w,  \
                                     long top, long rows, long tiles_w, float *restrict scratch,    \
                                     float *restrict v, long plane) {                               \
        long sw = tiles_w + 1, input_rows = 2 * rows + 2;                                           \
        float *padded = scratch, *strips = scratch + 2 * sw;                                        \
        for (long i = 0; i < input_rows; i++) {                                                     \
            long y = top + i;                                                                       \
            split_row_##SUFFIX(y >= 0 && y < h ? x + y * w : 0, w, pad_w, tiles_w, padded,          \
                               strips + 2 * i * sw, strips + (2 * i + 1) * sw);                     \
        }                                                                                           \
        for (long r = 0; r < rows; r++) {                                                           \
            const float *restrict e0 = strips + (4 * r + 0) * sw, *restrict o0 = strips + (4 * r + 1) * sw; \
            const float *restrict e1 = strips + (4 * r + 2) * sw, *restrict o1 = strips + (4 * r + 3) * sw; \
            const float *restrict e2 = strips + (4 * r + 4) * sw, *restrict o2 = strips + (4 * r + 5) * sw; \
            const float *restrict e3 = strips + (4 * r + 6) * sw, *restrict o3 = strips + (4 * r + 7) * sw; \
            float *restrict out = v + r * tiles_w;                                                  \
            for (long t = 0; t < tiles_w; t++) {                                                    \
                /* d[k][j]: row k of the 4 x 4 patch, columns 2t ... 2t + 3. Bᵀ d, column by column: */ \
                float d00 = e0[t], d01 = o0[t], d02 = e0[t + 1], d03 = o0[t + 1];                   \
                float d10 = e1[t], d11 = o1[t], d12 = e1[t + 1], d13 = o1[t + 1];                   \
                float d20 = e2[t], d21 = o2[t], d22 = e2[t + 1], d23 = o2[t + 1];                   \
                float d30 = e3[t], d31 = o3[t], d32 = e3[t + 1], d33 = o3[t + 1];                   \
                float a0 = d00 - d20, b0 = d10 + d20, c0 = d20 - d10, f0 = d10 - d30;               \
                float a1 = d01 - d21, b1 = d11 + d21, c1 = d21 - d11, f1 = d11 - d31;               \
                float a2 = d02 - d22, b2 = d12 + d22, c2 = d22 - d12, f2 = d12 - d32;               \
                float a3 = d03 - d23, b3 = d13 + d23, c3 = d23 - d13, f3 = d13 - d33;               \
                /* (Bᵀ d) B: the same combination along each row. */                               \
                out[0 * plane + t] = a0 - a2;  out[1 * plane + t] = a1 + a2;                        \
                out[2 * plane + t] = a2 - a1;  out[3 * plane + t] = a1 - a3;                        \
                out[4 * plane + t] = b0 - b2;  out[5 * plane + t] = b1 + b2;                        \
                out[6 * plane + t] = b2 - b1;  out[7 * plane + t] = b1 - b3;                        \
                out[8 * plane + t] = c0 - c2;  out[9 * plane + t] = c1 + c2;                        \
                out[10 * plane + t] = c2 - c1; out[11 * plane + t] = c1 - c3;                       \
                out[12 * plane + t] = f0 - f2; out[13 * plane + t] = f1 + f2;                       \
                out[14 * plane + t] = f2 - f1; out[15 * plane + t] = f1 - f3;                       \
            }                                                                                       \
        }                                                                                           \
    }

// Aᵀ M for tile t of one tile row: rows 0 + 1 + 2 and 1 - 2 - 3 for each column j, then the same along
// the rows; the four outputs (top left, top right, bottom left, bottom right) plus the bias.
#define WINOGRAD_OUTPUT_TILE                                                                        \
    const float *p = src + t;                                                                       \
    float s00 = p[0] + p[4 * plane] + p[8 * plane], s10 = p[4 * plane] - p[8 * plane] - p[12 * plane]; \
    float s01 = p[plane] + p[5 * plane] + p[9 * plane], s11 = p[5 * plane] - p[9 * plane] - p[13 * plane]; \
    float s02 = p[2 * plane] + p[6 * plane] + p[10 * plane], s12 = p[6 * plane] - p[10 * plane] - p[14 * plane]; \
    float s03 = p[3 * plane] + p[7 * plane] + p[11 * plane], s13 = p[7 * plane] - p[11 * plane] - p[15 * plane]; \
    float y00 = s00 + s01 + s02 + bias, y01 = s01 - s02 - s03 + bias;                               \
    float y10 = s10 + s11 + s12 + bias, y11 = s11 - s12 - s13 + bias;

#define WINOGRAD_OUTPUT_BLOCK(SUFFIX)                                                               \
    static void output_block_##SUFFIX(const float *restrict m, long plane, long first_row, long rows, \
                                      long tiles_w, float bias, float *restrict out, long out_h, long out_w) { \
        for (long r = 0; r < rows; r++) {                                                           \
            long top = 2 * (first_row + r);                                                         \
            int second_row = top + 1 < out_h;                                                       \
            float *restrict row0 = out + top * out_w;                                               \
            float *restrict row1 = row0 + out_w;                                                    \
            const float *restrict src = m + r * tiles_w;                                            \
            /* Tiles wholly inside the image (both rows, both columns), then the edge ones. */      \
            long whole = second_row ? out_w / 2 : 0;                                                \
            /* The planes of m and the two output rows never overlap (runtime checks said otherwise). */ \
            _Pragma("clang loop vectorize(assume_safety)")                                     \
            for (long t = 0; t < whole; t++) {                                                      \
                WINOGRAD_OUTPUT_TILE                                                                \
                row0[2 * t] = y00; row0[2 * t + 1] = y01;                                           \
                row1[2 * t] = y10; row1[2 * t + 1] = y11;                                           \
            }                                                                                       \
            for (long t = whole; t < tiles_w; t++) {                                                \
                WINOGRAD_OUTPUT_TILE                                                                \
                int second_col = 2 * t + 1 < out_w;                                                 \
                row0[2 * t] = y00;                                                                  \
                if (second_col) row0[2 * t + 1] = y01;                                              \
                if (second_row) {                                                                   \
                    row1[2 * t] = y10;                                                              \
                    if (second_col) row1[2 * t + 1] = y11;                                          \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }

// A dY Aᵀ for tile t: rows (y0, y0 + y1, y0 - y1, -y1) for each column, then the same along the rows.
#define WINOGRAD_OUTPUT_GRADIENT_TILE                                                               \
    float a0 = y00, a1 = y01, b0 = y00 + y10, b1 = y01 + y11;                                       \
    float c0 = y00 - y10, c1 = y01 - y11, d0 = -y10, d1 = -y11;                                     \
    out[0 * plane + t] = a0;  out[1 * plane + t] = a0 + a1;                                         \
    out[2 * plane + t] = a0 - a1; out[3 * plane + t] = -a1;                                         \
    out[4 * plane + t] = b0;  out[5 * plane + t] = b0 + b1;                                         \
    out[6 * plane + t] = b0 - b1; out[7 * plane + t] = -b1;                                         \
    out[8 * plane + t] = c0;  out[9 * plane + t] = c0 + c1;                                         \
    out[10 * plane + t] = c0 - c1; out[11 * plane + t] = -c1;                                       \
    out[12 * plane + t] = d0; out[13 * plane + t] = d0 + d1;                                        \
    out[14 * plane + t] = d0 - d1; out[15 * plane + t] = -d1;

#define WINOGRAD_OUTPUT_GRADIENT_BLOCK(SUFFIX)                                                      \
    static void output_gradient_block_##SUFFIX(const float *restrict gout, long out_h, long out_w,  \
                                               long first_row, long rows, long tiles_w,             \
                                               float *restrict dm, long plane) {                    \
        for (long r = 0; r < rows; r++) {                                                           \
            long top = 2 * (first_row + r);                                                         \
            int second_row = top + 1 < out_h;                                                       \
            const float *restrict row0 = gout + top * out_w;                                        \
            const float *restrict row1 = row0 + out_w;                                              \
            float *restrict out = dm + r * tiles_w;                                                 \
            long whole = second_row ? out_w / 2 : 0;                                                \
            for (long t = 0; t < whole; t++) {                                                      \
                float y00 = row0[2 * t], y01 = row0[2 * t + 1], y10 = row1[2 * t], y11 = row1[2 * t + 1]; \
                WINOGRAD_OUTPUT_GRADIENT_TILE                                                       \
            }                                                                                       \
            for (long t = whole; t < tiles_w; t++) {                                                \
                /* dY is zero past the image's last row or column. */                               \
                int second_col = 2 * t + 1 < out_w;                                                 \
                float y00 = row0[2 * t], y01 = second_col ? row0[2 * t + 1] : 0;                    \
                float y10 = second_row ? row1[2 * t] : 0, y11 = second_row && second_col ? row1[2 * t + 1] : 0; \
                WINOGRAD_OUTPUT_GRADIENT_TILE                                                       \
            }                                                                                       \
        }                                                                                           \
    }

#define WINOGRAD_ALL(SUFFIX) WINOGRAD_SPLIT_ROW(SUFFIX) WINOGRAD_INPUT_BLOCK(SUFFIX) WINOGRAD_OUTPUT_BLOCK(SUFFIX) \
    WINOGRAD_OUTPUT_GRADIENT_BLOCK(SUFFIX)

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vl"))), apply_to = function)
WINOGRAD_ALL(avx512)
#pragma clang attribute pop
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
WINOGRAD_ALL(avx2)
#pragma clang attribute pop
#endif
WINOGRAD_ALL(baseline)

long ck_winograd_input_scratch(long rows, long tiles_w) { return 2 * (tiles_w + 1) * (2 * rows + 3); }

void ck_winograd_input_block_level(int level, const float *x, long h, long w, long pad_w, long top,
                                   long rows, long tiles_w, float *scratch, float *v, long plane) {
#if defined(__x86_64__)
    if (level >= 2) { input_block_avx512(x, h, w, pad_w, top, rows, tiles_w, scratch, v, plane); return; }
    if (level == 1) { input_block_avx2(x, h, w, pad_w, top, rows, tiles_w, scratch, v, plane); return; }
#endif
    (void)level;
    input_block_baseline(x, h, w, pad_w, top, rows, tiles_w, scratch, v, plane);
}

void ck_winograd_output_block_level(int level, const float *m, long plane, long first_row, long rows, long tiles_w,
                                    float bias, float *out, long out_h, long out_w) {
#if defined(__x86_64__)
    if (level >= 2) { output_block_avx512(m, plane, first_row, rows, tiles_w, bias, out, out_h, out_w); return; }
    if (level == 1) { output_block_avx2(m, plane, first_row, rows, tiles_w, bias, out, out_h, out_w); return; }
#endif
    (void)level;
    output_block_baseline(m, plane, first_row, rows, tiles_w, bias, out, out_h, out_w);
}

void ck_winograd_output_gradient_block_level(int level, const float *gout, long out_h, long out_w, long first_row,
                                             long rows, long tiles_w, float *dm, long plane) {
#if defined(__x86_64__)
    if (level >= 2) { output_gradient_block_avx512(gout, out_h, out_w, first_row, rows, tiles_w, dm, plane); return; }
    if (level == 1) { output_gradient_block_avx2(gout, out_h, out_w, first_row, rows, tiles_w, dm, plane); return; }
#endif
    (void)level;
    output_gradient_block_baseline(gout, out_h, out_w, first_row, rows, tiles_w, dm, plane);
}

void ck_winograd_input_block(const float *x, long h, long w, long pad_w, long top, long rows, long tiles_w,
                             float *scratch, float *v, long plane) {
    ck_winograd_input_block_level(ck_kernel_level(), x, h, w, pad_w, top, rows, tiles_w, scratch, v, plane);
}

void ck_winograd_output_block(const float *m, long plane, long first_row, long rows, long tiles_w, float bias,
                              float *out, long out_h, long out_w) {
    ck_winograd_output_block_level(ck_kernel_level(), m, plane, first_row, rows, tiles_w, bias, out, out_h, out_w);
}

void ck_winograd_output_gradient_block(const float *gout, long out_h, long out_w, long first_row, long rows,
                                       long tiles_w, float *dm, long plane) {
    ck_winograd_output_gradient_block_level(ck_kernel_level(), gout, out_h, out_w, first_row, rows, tiles_w, dm, plane);
}
