#ifndef CKERNELS_H
#define CKERNELS_H

#include <stdint.h>

/// Elementwise kernels compiled three times (AVX-512, AVX2 + FMA, and the baseline x86-64 or other
/// target) and picked once at load time for the CPU the program runs on. Swift has no per-function
/// target attribute, so code that needs wide vectors without making the whole binary require them lives
/// here. Each function handles `count` contiguous elements; callers split work across threads.

/// The instruction set the dispatched kernels use: 2 = AVX-512, 1 = AVX2 with FMA, 0 = baseline.
int ck_kernel_level(void);

/// Exact GELU, y = x Phi(x), with erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7) and a
/// degree-7 exp: the formulas of TensorCore's FastMath, evaluated in wide vectors.
void ck_gelu_forward(const float *x, float *y, long count);

/// gx = g * (Phi(x) + x phi(x)).
void ck_gelu_backward(const float *x, const float *g, float *gx, long count);

/// The same kernels at a given level (tests run every level the CPU supports); level must be supported.
void ck_gelu_forward_level(int level, const float *x, float *y, long count);
void ck_gelu_backward_level(int level, const float *x, const float *g, float *gx, long count);

/// GELU followed by inverted dropout in one pass: y = gelu(x) * (keep * scale), keep one byte (0 or 1)
/// per element; and its gradient gx = (g * (keep * scale)) * gelu'(x). The same float operations, in
/// the same order, as ck_gelu_forward / ck_gelu_backward with the dropout multiply as a separate pass.
void ck_gelu_dropout_forward(const float *x, const uint8_t *keep, float scale, float *y, long count);
void ck_gelu_dropout_backward(const float *x, const uint8_t *keep, float scale, const float *g, float *gx, long count);
void ck_gelu_dropout_forward_level(int level, const float *x, const uint8_t *keep, float scale, float *y, long count);
void ck_gelu_dropout_backward_level(int level, const float *x, const uint8_t *keep, float scale, const float *g,
                                    float *gx, long count);

/// Batch norm's affine, GELU and (keep non-null) inverted dropout in one pass: y = gelu(x a + b) (keep scale),
/// with x a and + b rounded separately as TensorCore's batchNorm does; and the gradient reaching the affine's
/// output, gy = (g (keep scale)) gelu'(x a + b). The same bits as batchNorm's affine, ck_gelu_forward /
/// ck_gelu_backward and the dropout multiply one after the other.
void ck_affine_gelu_forward(const float *x, float a, float b, const uint8_t *keep, float scale, float *y, long count);
void ck_affine_gelu_backward(const float *x, float a, float b, const uint8_t *keep, float scale, const float *g, float *gy,
                             long count);
void ck_affine_gelu_forward_level(int level, const float *x, float a, float b, const uint8_t *keep, float scale, float *y,
                                  long count);
void ck_affine_gelu_backward_level(int level, const float *x, float a, float b, const uint8_t *keep, float scale,
                                   const float *g, float *gy, long count);

/// A convolution weight (O, C, K) regrouped by tap: out[o][i][c] = w[o][c][i]; and back,
/// out[o][c][i] = t[o][i][c]. `o` rows of C x K elements each.
void ck_taps_to_rows(const float *w, float *out, long o, long c, long k);
void ck_rows_to_taps(const float *t, float *out, long o, long c, long k);

/// Dropout keep flags (TensorCore's DropoutKeepFlags) for blocks [first_block, last_block) of `block`
/// elements (even) out of `count`: block b draws from xoshiro256** seeded by SplitMix64 from
/// SplitMix64.derive(seed, b); each 64-bit draw w gives flags for two elements, 1 (keep) when bits
/// 40-63, then bits 16-39, are at least `threshold`. Eight blocks step side by side in vectors.
void ck_dropout_keep_flags(uint64_t seed, long first_block, long last_block, long block, long count,
                           uint64_t threshold, uint8_t *flags);
void ck_dropout_keep_flags_level(int level, uint64_t seed, long first_block, long last_block, long block,
                                 long count, uint64_t threshold, uint8_t *flags);

/// ReLU then inverted dropout: y = relu(x) * (keep * scale) and gx = (g * (keep * scale)) * relu'(x), with
/// relu(x) = x > 0 ? x : 0 and relu'(x) = x > 0 ? 1 : 0 (TensorCore's ReluFunction).
// out (channels, outHeight, width) = the (taps, 1) convolution of the one-channel image x (height, width),
// weight w (channels, taps), optional bias: see ColumnConv.c.
void ck_column_conv_one_channel(const float *x, const float *w, const float *bias, float *out, long channels,
                                long height, long width, long outHeight, long taps, long dilation, long pad);
void ck_column_conv_one_channel_level(int level, const float *x, const float *w, const float *bias, float *out,
                                      long channels, long height, long width, long outHeight, long taps,
                                      long dilation, long pad);
void ck_relu_dropout_forward(const float *x, const uint8_t *keep, float scale, float *y, long count);
void ck_relu_dropout_backward(const float *x, const uint8_t *keep, float scale, const float *g, float *gx, long count);
void ck_relu_dropout_forward_level(int level, const float *x, const uint8_t *keep, float scale, float *y, long count);
void ck_relu_dropout_backward_level(int level, const float *x, const uint8_t *keep, float scale, const float *g,
                                    float *gx, long count);

/// Batch norm's affine, ReLU and (keep non-null) inverted dropout in one pass: y = relu(x a + b) (keep scale),
/// x a and + b rounded separately: the same bits as TensorCore's batchNorm affine, ReluFunction and the
/// dropout multiply one after the other.
void ck_affine_relu_dropout_forward(const float *x, float a, float b, const uint8_t *keep, float scale, float *y, long count);
void ck_affine_relu_dropout_forward_level(int level, const float *x, float a, float b, const uint8_t *keep, float scale,
                                          float *y, long count);

/// mean of relu(x a + b) over a row, scaled: Σ relu(x[i] a + b) scale for i < length, x a and + b rounded
/// separately, relu(y) = y > 0 ? y : 0, summed as TensorCore's activatedRowMean does (chunks of `chunk`
/// elements, each in 16 float lanes added in order and then its tail, the chunk sums in double, the total
/// rounded to float before the scale): the same bits at every level.
float ck_affine_relu_row_mean(const float *x, long length, float a, float b, float scale, long chunk);
float ck_affine_relu_row_mean_level(int level, const float *x, long length, float a, float b, float scale, long chunk);

/// One row of a radius-1 band: dst[j] = start[j] + k0 s0[j] + k1 s1[j] + k2 s2[j] for j < count, with the
/// first `taps` (0 to 3) terms only, each product rounded before it is added, left to right (no fused
/// multiply-add, so every level gives the same bits). dst must not overlap the other rows.
void ck_band_row(float *dst, const float *start, int taps, float k0, const float *s0, float k1, const float *s1, float k2,
                 const float *s2, long count);
void ck_band_row_level(int level, float *dst, const float *start, int taps, float k0, const float *s0, float k1,
                       const float *s1, float k2, const float *s2, long count);

/// sum[j] += x[j] for j < count (one row of a column sum); sum must not overlap x.
void ck_row_sum(float *sum, const float *x, long count);
void ck_row_sum_level(int level, float *sum, const float *x, long count);

/// Rows [first, last) of a radius-1 band over rows of c floats in sequences of t rows (row r is frame
/// r % t; coefficients k (rows, 3) for offsets -1, 0, +1): y row r = start + its taps inside the sequence
/// with nonzero coefficients, in offset order (ck_band_row's additions); with keep (else NULL), then
/// ReLU and dropout, y = relu(row) * (keep * scale), the band row itself never written.
void ck_band_forward_rows(const float *x, const float *k, const float *start, long t, long c, long first, long last,
                          const uint8_t *keep, float scale, float *y);
void ck_band_forward_rows_level(int level, const float *x, const float *k, const float *start, long t, long c,
                                long first, long last, const uint8_t *keep, float scale, float *y);

/// Columns [j0, j1) of the transpose of that band over all `rows`: gx row s = zero + k[s - o, o] gu[s - o]
/// for o = -1, 0, +1 (sources inside the sequence, nonzero coefficients), and with sum (else NULL) each
/// gu row added into it, rows in order. gu = g, or with keep (else NULL; y the forward's output) the
/// ReLU-dropout gradient (g (keep scale)) relu'(y), each row computed once into ring (3 x c floats).
/// zero: c zeros.
void ck_band_transpose_columns(const float *g, const float *k, const float *zero, long t, long c, long rows, long j0,
                               long j1, const float *y, const uint8_t *keep, float scale, float *ring, float *gx,
                               float *sum);
void ck_band_transpose_columns_level(int level, const float *g, const float *k, const float *zero, long t, long c,
                                     long rows, long j0, long j1, const float *y, const uint8_t *keep, float scale,
                                     float *ring, float *gx, float *sum);

/// One Adam / AdamW step's constants, PyTorch's update: grad = g + l2 p; m = beta1 m + (1 - beta1) grad;
/// v = beta2 v + (1 - beta2) grad^2; p = decay p - step_size m / (sqrt(v) / bias2_root + eps), where
/// step_size = lr / (1 - beta1^t), bias2_root = sqrt(1 - beta2^t), decay = 1 - lr wd for AdamW (else 1)
/// and l2 = wd for Adam (else 0). g is the stored gradient times `grad_scale` (a gradient-norm clip's
/// coefficient, 1 when none), rounded before the rest: the bits of scaling the gradient in place first.
typedef struct {
    float beta1, beta2, step_size, bias2_root, eps, l2, decay, grad_scale;
} CKAdamStep;

/// Updates `count` parameters and their moments in place. The wide kernels write p, m and v with
/// streaming stores (the state is not read again until the next step): half the memory traffic.
void ck_adam_update(float *p, const float *g, float *m, float *v, long count, const CKAdamStep *step);
void ck_adam_update_level(int level, float *p, const float *g, float *m, float *v, long count, const CKAdamStep *step);

/// One FFT length's plan, built and owned by TensorCore's FFTPlan (FFTKernels.swift); the kernels only
/// read it. Mixed radix (`inner` null): the radices (each 2, 3, 4 or 5; product `length`, outermost
/// first), the input index each output slot starts from (the recursion's order), and the twiddles
/// e^{-2 pi i j / length} interleaved. Bluestein (`inner` the power-of-two plan of length M >= 2 length - 1):
/// the chirp c_k = e^{-pi i k^2 / length} and the inner transform of the wrapped conj(c), interleaved.
typedef struct CKFFTPlan {
    long length;
    int radix_count;
    const int *radices;
    const long *permutation;
    const double *twiddles;
    const struct CKFFTPlan *inner;
    const double *chirp;
    const double *kernel_spectrum;
} CKFFTPlan;

/// Lines per call: complex lines in `ck_fft_complex_lines`, twice as many real ones in `ck_fft_real_lines`.
#define CK_FFT_MAX_LINES 16

/// Doubles of scratch either call needs for `plan` (any count up to the maximum).
long ck_fft_scratch_doubles(const CKFFTPlan *plan);

/// In-place forward DFT of `count` (<= CK_FFT_MAX_LINES) complex lines of interleaved doubles: line b's
/// element j at data[2 (starts[b] + j stride)].
void ck_fft_complex_lines(const CKFFTPlan *plan, double *data, long stride, const long *starts, long count, double *scratch);

/// Half spectra (bins 0 ... length / 2) of `count` (<= 2 CK_FFT_MAX_LINES) real float lines, line b's
/// element j at source[sourceStarts[b] + j sourceStride], written as interleaved doubles at
/// spectra[2 (spectraStarts[b] + k spectraStride)]. Two real lines share one complex transform.
void ck_fft_real_lines(const CKFFTPlan *plan, const float *source, long sourceStride, const long *sourceStarts, long count,
                       double *spectra, long spectraStride, const long *spectraStarts, double *scratch);

/// The same at a given level (tests run every level the CPU supports); level must be supported.
void ck_fft_complex_lines_level(int level, const CKFFTPlan *plan, double *data, long stride, const long *starts, long count,
                                double *scratch);
void ck_fft_real_lines_level(int level, const CKFFTPlan *plan, const float *source, long sourceStride,
                             const long *sourceStarts, long count, double *spectra, long spectraStride,
                             const long *spectraStarts, double *scratch);

/// Winograd F(2x2, 3x3) transforms (TensorCore's WinogradKernels.swift), one channel and one block of tile
/// rows [first_row, first_row + rows) per call; tile t of block row r is element r tiles_w + t of each of
/// the 16 planes (`plane` floats apart). Additions and subtractions only, in a fixed order: every level
/// gives the same bits.
///
/// V = Bᵀ d B of the input channel x (h, w) with zero padding, whose block starts at input row
/// top = 2 first_row - pad_h. `scratch` holds ck_winograd_input_scratch(rows, tiles_w) floats.
long ck_winograd_input_scratch(long rows, long tiles_w);
void ck_winograd_input_block(const float *x, long h, long w, long pad_w, long top, long rows, long tiles_w,
                             float *scratch, float *v, long plane);
/// out (out_h, out_w) = Aᵀ M A + bias for the block's tiles; outputs past the last row or column dropped.
void ck_winograd_output_block(const float *m, long plane, long first_row, long rows, long tiles_w, float bias,
                              float *out, long out_h, long out_w);
/// dM = A dY Aᵀ for the block's tiles of the output gradient gout (out_h, out_w), zero past its edges.
void ck_winograd_output_gradient_block(const float *gout, long out_h, long out_w, long first_row, long rows,
                                       long tiles_w, float *dm, long plane);
/// The same at a given level (tests run every level the CPU supports); level must be supported.
void ck_winograd_input_block_level(int level, const float *x, long h, long w, long pad_w, long top, long rows,
                                   long tiles_w, float *scratch, float *v, long plane);
void ck_winograd_output_block_level(int level, const float *m, long plane, long first_row, long rows, long tiles_w,
                                    float bias, float *out, long out_h, long out_w);
void ck_winograd_output_gradient_block_level(int level, const float *gout, long out_h, long out_w, long first_row,
                                             long rows, long tiles_w, float *dm, long plane);

/// Softmax over rows [first_row, last_row) of `length` elements of x (row r at x + r * length), into y.
/// `key_mask` (nullable) holds one row of `length` flags (0 = excluded) per `rows_per_mask` consecutive
/// rows; excluded positions get 0 and a row with every position excluded gets zeros. exp is the degree-7
/// fast_exp of the GELU kernels (relative error below 2e-7); each row is summed in sixteen lanes, so a
/// row's result does not depend on how rows are split across threads.
void ck_softmax_rows(const float *x, float *y, long first_row, long last_row, long length, const float *key_mask,
                     long rows_per_mask);
void ck_softmax_rows_level(int level, const float *x, float *y, long first_row, long last_row, long length,
                           const float *key_mask, long rows_per_mask);

/// The softmax gradient for rows [first_row, last_row): gx = y * (g - sum(g * y)) per row.
void ck_softmax_backward_rows(const float *y, const float *g, float *gx, long first_row, long last_row, long length);
void ck_softmax_backward_rows_level(int level, const float *y, const float *g, float *gx, long first_row, long last_row,
                                    long length);

/// dst[i] = src[i] for i < count with non-temporal (cache-bypassing) stores where the CPU has them, else
/// memcpy; dst and src must not overlap. For copies far larger than the cache.
void ck_stream_copy(float *dst, const float *src, long count);
void ck_stream_copy_level(int level, float *dst, const float *src, long count);

/// B (k x n; stored n x k when trans_b) as panels of 64 columns for ck_panel_gemm: panel p's row kk at
/// panels[(p k + kk) 64 + j], zero beyond column n; panels holds ceil(n / 64) 64 k floats, 64-byte aligned.
void ck_pack_panels(long n, long k, const float *b, long ldb, int trans_b, float *panels);

/// Rows [first_row, last_row) of C (row stride ldc) = A (row stride lda) times the packed B (+ C when
/// accumulate): each element fused multiply-adds over k in order, starting from zero (from C when
/// accumulating), whatever the rows. AVX-512 only (ck_kernel_level() == 2).
void ck_panel_gemm(long first_row, long last_row, long n, long k, const float *a, long lda, const float *panels,
                   float *c, long ldc, int accumulate);

#endif
