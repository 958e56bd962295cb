#include "CKernels.h"

// Batched FFT: a group of up to CK_FFT_MAX_LINES lines is gathered into a "split" buffer where element
// j of every line sits together, real parts then imaginary parts: re of line b at buf[2 j B + b], im at
// buf[(2 j + 1) B + b] for B lines. Every butterfly then runs the same twiddle over B contiguous lanes,
// which the compiler turns into full-width vector code, and a strided axis is read B neighbours at a
// time instead of one element per cache line.
//
// The mixed-radix transform is the iterative form of decimation in time: the input permuted into the
// order the recursion leaves it (plan->permutation), then one pass per radix from the innermost level
// out, each combining p sub-DFTs of length m into one of length p m with X[k + u m] = sum_q W^{q k}
// Y_q[k] W_p^{q u}. Bluestein plans do their convolution with two such transforms of the inner plan.

#define RE(buf, j, B) ((buf) + 2 * (j) * (B))
#define IM(buf, j, B) ((buf) + (2 * (j) + 1) * (B))

#define FFT_INLINE static inline __attribute__((always_inline))
// The lanes of one element never overlap those of another, so each lane loop is free of dependences.
#define LANES_LOOP _Pragma("clang loop vectorize(assume_safety)")
// Every group is transformed in all lanes (missing lines as zeros): the lane loops then have a
// constant trip count, which the compiler vectorises whole instead of leaving to a scalar remainder.
#define LANES ((long)CK_FFT_MAX_LINES)

// One pass of radix p over all blocks of length n_s = p m.
FFT_INLINE void radix2_pass(double *buf, long n, long m, const double *tw, long twStride, long B) {
    for (long base = 0; base < n; base += 2 * m) {
        for (long k = 0; k < m; k++) {
            const double wr = tw[2 * k * twStride], wi = tw[2 * k * twStride + 1];
            double *restrict ar = RE(buf, base + k, B), *restrict ai = IM(buf, base + k, B);
            double *restrict br = RE(buf, base + k + m, B), *restrict bi = IM(buf, base + k + m, B);
            LANES_LOOP
            for (long l = 0; l < B; l++) {
                const double tr = br[l] * wr - bi[l] * wi, ti = br[l] * wi + bi[l] * wr;
                const double xr = ar[l], xi = ai[l];
                br[l] = xr - tr; bi[l] = xi - ti;
                ar[l] = xr + tr; ai[l] = xi + ti;
            }
        }
    }
}

FFT_INLINE void radix4_pass(double *buf, long n, long m, const double *tw, long twStride, long B) {
    for (long base = 0; base < n; base += 4 * m) {
        for (long k = 0; k < m; k++) {
            const long j1 = 2 * k * twStride, j2 = 2 * j1, j3 = 3 * j1;
            const double w1r = tw[j1], w1i = tw[j1 + 1], w2r = tw[j2], w2i = tw[j2 + 1], w3r = tw[j3], w3i = tw[j3 + 1];
            double *restrict y0r = RE(buf, base + k, B), *restrict y0i = IM(buf, base + k, B);
            double *restrict y1r = RE(buf, base + k + m, B), *restrict y1i = IM(buf, base + k + m, B);
            double *restrict y2r = RE(buf, base + k + 2 * m, B), *restrict y2i = IM(buf, base + k + 2 * m, B);
            double *restrict y3r = RE(buf, base + k + 3 * m, B), *restrict y3i = IM(buf, base + k + 3 * m, B);
            LANES_LOOP
            for (long l = 0; l < B; l++) {
                const double t0r = y0r[l], t0i = y0i[l];
                const double t1r = y1r[l] * w1r - y1i[l] * w1i, t1i = y1r[l] * w1i + y1i[l] * w1r;
                const double t2r = y2r[l] * w2r - y2i[l] * w2i, t2i = y2r[l] * w2i + y2i[l] * w2r;
                const double t3r = y3r[l] * w3r - y3i[l] * w3i, t3i = y3r[l] * w3i + y3i[l] * w3r;
                // W_4 = -i: X[k+m] = t0 - i t1 - t2 + i t3, X[k+3m] = t0 + i t1 - t2 - i t3.
                const double sr = t0r + t2r, si = t0i + t2i, dr = t0r - t2r, di = t0i - t2i;
                const double er = t1r + t3r, ei = t1i + t3i, fr = t1r - t3r, fi = t1i - t3i;
                y0r[l] = sr + er; y0i[l] = si + ei;
                y2r[l] = sr - er; y2i[l] = si - ei;
                y1r[l] = dr + fi; y1i[l] = di - fr;
                y3r[l] = dr - fi; y3i[l] = di + fr;
            }
        }
    }
}

FFT_INLINE void radix3_pass(double *buf, long n, long m, const double *tw, long twStride, long B) {
    const double c = 0.86602540378443864676;   // sin(2 pi / 3); W_3 = -1/2 - i c
    for (long base = 0; base < n; base += 3 * m) {
        for (long k = 0; k < m; k++) {
            const long j1 = 2 * k * twStride, j2 = 2 * j1;
            const double w1r = tw[j1], w1i = tw[j1 + 1], w2r = tw[j2], w2i = tw[j2 + 1];
            double *restrict y0r = RE(buf, base + k, B), *restrict y0i = IM(buf, base + k, B);
            double *restrict y1r = RE(buf, base + k + m, B), *restrict y1i = IM(buf, base + k + m, B);
            double *restrict y2r = RE(buf, base + k + 2 * m, B), *restrict y2i = IM(buf, base + k + 2 * m, B);
            LANES_LOOP
            for (long l = 0; l < B; l++) {
                const double t0r = y0r[l], t0i = y0i[l];
                const double t1r = y1r[l] * w1r - y1i[l] * w1i, t1i = y1r[l] * w1i + y1i[l] * w1r;
                const double t2r = y2r[l] * w2r - y2i[l] * w2i, t2i = y2r[l] * w2i + y2i[l] * w2r;
                const double sr = t1r + t2r, si = t1i + t2i, dr = t1r - t2r, di = t1i - t2i;
                const double hr = t0r - 0.5 * sr, hi = t0i - 0.5 * si;
                // X1 = t0 - s/2 - i c d, X2 = t0 - s/2 + i c d.
                y0r[l] = t0r + sr; y0i[l] = t0i + si;
                y1r[l] = hr + c * di; y1i[l] = hi - c * dr;
                y2r[l] = hr - c * di; y2i[l] = hi + c * dr;
            }
        }
    }
}

FFT_INLINE void radix5_pass(double *buf, long n, long m, const double *tw, long twStride, long B) {
    // W_5^k = cos(2 pi k / 5) - i sin(2 pi k / 5).
    const double c1 = 0.30901699437494742410, c2 = -0.80901699437494742410;
    const double s1 = 0.95105651629515357212, s2 = 0.58778525229247312917;
    for (long base = 0; base < n; base += 5 * m) {
        for (long k = 0; k < m; k++) {
            const long j1 = 2 * k * twStride, j2 = 2 * j1, j3 = 3 * j1, j4 = 4 * j1;
            const double w1r = tw[j1], w1i = tw[j1 + 1], w2r = tw[j2], w2i = tw[j2 + 1];
            const double w3r = tw[j3], w3i = tw[j3 + 1], w4r = tw[j4], w4i = tw[j4 + 1];
            double *restrict y0r = RE(buf, base + k, B), *restrict y0i = IM(buf, base + k, B);
            double *restrict y1r = RE(buf, base + k + m, B), *restrict y1i = IM(buf, base + k + m, B);
            double *restrict y2r = RE(buf, base + k + 2 * m, B), *restrict y2i = IM(buf, base + k + 2 * m, B);
            double *restrict y3r = RE(buf, base + k + 3 * m, B), *restrict y3i = IM(buf, base + k + 3 * m, B);
            double *restrict y4r = RE(buf, base + k + 4 * m, B), *restrict y4i = IM(buf, base + k + 4 * m, B);
            LANES_LOOP
            for (long l = 0; l < B; l++) {
                const double t0r = y0r[l], t0i = y0i[l];
                const double t1r = y1r[l] * w1r - y1i[l] * w1i, t1i = y1r[l] * w1i + y1i[l] * w1r;
                const double t2r = y2r[l] * w2r - y2i[l] * w2i, t2i = y2r[l] * w2i + y2i[l] * w2r;
                const double t3r = y3r[l] * w3r - y3i[l] * w3i, t3i = y3r[l] * w3i + y3i[l] * w3r;
                const double t4r = y4r[l] * w4r - y4i[l] * w4i, t4i = y4r[l] * w4i + y4i[l] * w4r;
                const double a1r = t1r + t4r, a1i = t1i + t4i, d1r = t1r - t4r, d1i = t1i - t4i;
                const double a2r = t2r + t3r, a2i = t2i + t3i, d2r = t2r - t3r, d2i = t2i - t3i;
                // X1,4 = t0 + c1 a1 + c2 a2 -+ i (s1 d1 + s2 d2); X2,3 = t0 + c2 a1 + c1 a2 -+ i (s2 d1 - s1 d2).
                const double p1r = t0r + c1 * a1r + c2 * a2r, p1i = t0i + c1 * a1i + c2 * a2i;
                const double p2r = t0r + c2 * a1r + c1 * a2r, p2i = t0i + c2 * a1i + c1 * a2i;
                const double q1r = s1 * d1r + s2 * d2r, q1i = s1 * d1i + s2 * d2i;
                const double q2r = s2 * d1r - s1 * d2r, q2i = s2 * d1i - s1 * d2i;
                y0r[l] = t0r + a1r + a2r; y0i[l] = t0i + a1i + a2i;
                y1r[l] = p1r + q1i; y1i[l] = p1i - q1r;
                y4r[l] = p1r - q1i; y4i[l] = p1i + q1r;
                y2r[l] = p2r + q2i; y2i[l] = p2i - q2r;
                y3r[l] = p2r - q2i; y3i[l] = p2i + q2r;
            }
        }
    }
}

// The butterfly passes of a mixed-radix plan, in place on `out` already in the plan's input order.
FFT_INLINE void radix_passes(const CKFFTPlan *plan, double *out, long B) {
    const long n = plan->length;
    // Innermost level first: the block length grows from the last radix to the whole transform.
    long size = 1;
    for (int s = plan->radix_count - 1; s >= 0; s--) {
        const long p = plan->radices[s], m = size;
        size *= p;
        const long twStride = n / size;
        switch (p) {
        case 2: radix2_pass(out, n, m, plan->twiddles, twStride, B); break;
        case 3: radix3_pass(out, n, m, plan->twiddles, twStride, B); break;
        case 4: radix4_pass(out, n, m, plan->twiddles, twStride, B); break;
        default: radix5_pass(out, n, m, plan->twiddles, twStride, B); break;
        }
    }
}

// Mixed radix, split layout, natural-order `in` to `out` (distinct buffers); `in` is left unchanged.
FFT_INLINE void mixed_radix_split(const CKFFTPlan *plan, const double *in, double *out, long B) {
    const long n = plan->length;
    for (long j = 0; j < n; j++) {
        const double *restrict sr = RE(in, plan->permutation[j], B), *restrict si = IM(in, plan->permutation[j], B);
        double *restrict dr = RE(out, j, B), *restrict di = IM(out, j, B);
        LANES_LOOP
        for (long l = 0; l < B; l++) { dr[l] = sr[l]; di[l] = si[l]; }
    }
    radix_passes(plan, out, B);
}

// Any plan, split layout, natural-order `in` to `out` (distinct; `in` unchanged). Bluestein:
// X_k = c_k sum_j (x_j c_j) conj(c_{k-j}), the circular convolution done as inverse(FFT(a) FFT(b)),
// the inverse as conj(FFT(conj(.))) / M. Scratch: 4 M B doubles for Bluestein, none otherwise.
FFT_INLINE void transform_split(const CKFFTPlan *plan, const double *in, double *out, double *scratch, long B) {
    const long n = plan->length;
    if (plan->inner == 0) {
        mixed_radix_split(plan, in, out, B);
        return;
    }
    const CKFFTPlan *inner = plan->inner;
    const long m = inner->length;
    double *a = scratch, *spectrum = scratch + 2 * m * B;
    const double *c = plan->chirp, *kern = plan->kernel_spectrum;
    for (long k = 0; k < n; k++) {
        const double cr = c[2 * k], ci = c[2 * k + 1];
        const double *restrict xr = RE(in, k, B), *restrict xi = IM(in, k, B);
        double *restrict ar = RE(a, k, B), *restrict ai = IM(a, k, B);
        LANES_LOOP
        for (long l = 0; l < B; l++) { ar[l] = xr[l] * cr - xi[l] * ci; ai[l] = xr[l] * ci + xi[l] * cr; }
    }
    for (long i = 2 * n * B; i < 2 * m * B; i++) a[i] = 0;
    mixed_radix_split(inner, a, spectrum, B);
    // Pointwise product, conjugated so the next forward transform computes the inverse.
    for (long j = 0; j < m; j++) {
        const double kr = kern[2 * j], ki = kern[2 * j + 1];
        double *restrict sr = RE(spectrum, j, B), *restrict si = IM(spectrum, j, B);
        LANES_LOOP
        for (long l = 0; l < B; l++) {
            const double xr = sr[l], xi = si[l];
            sr[l] = xr * kr - xi * ki;
            si[l] = -(xr * ki + xi * kr);
        }
    }
    mixed_radix_split(inner, spectrum, a, B);
    const double scale = 1.0 / (double)m;
    for (long k = 0; k < n; k++) {
        const double cr = c[2 * k], ci = c[2 * k + 1];
        const double *restrict yr0 = RE(a, k, B), *restrict yi0 = IM(a, k, B);
        double *restrict orr = RE(out, k, B), *restrict oi = IM(out, k, B);
        LANES_LOOP
        for (long l = 0; l < B; l++) {
            const double yr = yr0[l] * scale, yi = -yi0[l] * scale;
            orr[l] = yr * cr - yi * ci;
            oi[l] = yr * ci + yi * cr;
        }
    }
}

// The lines are gathered straight into the order the transform starts from: for a mixed-radix plan
// slot j of `out` takes element permutation[j] and the passes run in place; a Bluestein plan takes its
// input in natural order in `in`.
#define GATHER_TARGET(plan, in, out) ((plan)->inner == 0 ? (out) : (in))
#define GATHER_ELEMENT(plan, j) ((plan)->inner == 0 ? (plan)->permutation[j] : (j))

FFT_INLINE void finish_transform(const CKFFTPlan *plan, const double *in, double *out, double *rest, long B) {
    if (plan->inner == 0) radix_passes(plan, out, B);
    else transform_split(plan, in, out, rest, B);
}

// Complex lines, interleaved double, transformed in place.
FFT_INLINE void complex_lines(const CKFFTPlan *plan, double *data, long stride, const long *starts, long count,
                              double *scratch) {
    const long n = plan->length, B = LANES;
    double *in = scratch, *out = scratch + 2 * n * B, *rest = scratch + 4 * n * B;
    double *target = GATHER_TARGET(plan, in, out);
    for (long j = 0; j < n; j++) {
        const double *x = data + 2 * GATHER_ELEMENT(plan, j) * stride;
        double *restrict dr = RE(target, j, B), *restrict di = IM(target, j, B);
        for (long b = 0; b < count; b++) { dr[b] = x[2 * starts[b]]; di[b] = x[2 * starts[b] + 1]; }
        for (long b = count; b < B; b++) { dr[b] = 0; di[b] = 0; }
    }
    finish_transform(plan, in, out, rest, B);
    for (long j = 0; j < n; j++) {
        const double *restrict sr = RE(out, j, B), *restrict si = IM(out, j, B);
        double *x = data + 2 * j * stride;
        for (long b = 0; b < count; b++) { x[2 * starts[b]] = sr[b]; x[2 * starts[b] + 1] = si[b]; }
    }
}

// Real float lines, two per complex lane (z = x_{2b} + i x_{2b+1}); their half spectra from
// X_{2b}[k] = (Z[k] + conj Z[n-k]) / 2 and X_{2b+1}[k] = (Z[k] - conj Z[n-k]) / (2 i).
FFT_INLINE void real_lines_half(const CKFFTPlan *plan, const float *src, long srcStride, const long *srcStarts, long count,
                                double *dst, long dstStride, const long *dstStarts, double *scratch) {
    const long n = plan->length, B = LANES, half = n / 2 + 1, used = (count + 1) / 2;
    double *in = scratch, *out = scratch + 2 * n * B, *rest = scratch + 4 * n * B;
    // In natural order (the permuted order would jump between cache lines of every line at each slot);
    // lanes without a line read line 0 and are cleared after.
    long starts[2 * LANES];
    for (long b = 0; b < 2 * B; b++) starts[b] = b < count ? srcStarts[b] : srcStarts[0];
    for (long j = 0; j < n; j++) {
        const float *x = src + j * srcStride;
        double *restrict dr = RE(in, j, B), *restrict di = IM(in, j, B);
        for (long b = 0; b < B; b++) { dr[b] = x[starts[2 * b]]; di[b] = x[starts[2 * b + 1]]; }
        for (long b = count; b < 2 * B; b++) (b % 2 ? di : dr)[b / 2] = 0;
    }
    transform_split(plan, in, out, rest, B);
    for (long k = 0; k < half; k++) {
        const long mirror = k == 0 ? 0 : n - k;
        const double *restrict zr = RE(out, k, B), *restrict zi = IM(out, k, B);
        const double *restrict wr = RE(out, mirror, B), *restrict wi = IM(out, mirror, B);
        double *x = dst + 2 * k * dstStride;
        for (long b = 0; b < used; b++) {
            double *first = x + 2 * dstStarts[2 * b];
            first[0] = 0.5 * (zr[b] + wr[b]); first[1] = 0.5 * (zi[b] - wi[b]);
            if (2 * b + 1 < count) {
                double *second = x + 2 * dstStarts[2 * b + 1];
                second[0] = 0.5 * (zi[b] + wi[b]); second[1] = -0.5 * (zr[b] - wr[b]);
            }
        }
    }
}

#if defined(__x86_64__)
#define FFT_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,fma")))
#define FFT_AVX2 __attribute__((target("avx2,fma")))
FFT_AVX512 static void complex_lines_avx512(const CKFFTPlan *p, double *d, long s, const long *st, long c, double *w) {
    complex_lines(p, d, s, st, c, w);
}
FFT_AVX2 static void complex_lines_avx2(const CKFFTPlan *p, double *d, long s, const long *st, long c, double *w) {
    complex_lines(p, d, s, st, c, w);
}
FFT_AVX512 static void real_lines_avx512(const CKFFTPlan *p, const float *x, long xs, const long *xst, long c, double *d,
                                         long ds, const long *dst, double *w) {
    real_lines_half(p, x, xs, xst, c, d, ds, dst, w);
}
FFT_AVX2 static void real_lines_avx2(const CKFFTPlan *p, const float *x, long xs, const long *xst, long c, double *d,
                                     long ds, const long *dst, double *w) {
    real_lines_half(p, x, xs, xst, c, d, ds, dst, w);
}
#endif

static void complex_lines_baseline(const CKFFTPlan *p, double *d, long s, const long *st, long c, double *w) {
    complex_lines(p, d, s, st, c, w);
}
static void real_lines_baseline(const CKFFTPlan *p, const float *x, long xs, const long *xst, long c, double *d, long ds,
                                const long *dst, double *w) {
    real_lines_half(p, x, xs, xst, c, d, ds, dst, w);
}

long ck_fft_scratch_doubles(const CKFFTPlan *plan) {
    const long b = CK_FFT_MAX_LINES;
    long total = 4 * plan->length * b;
    if (plan->inner != 0) total += 4 * plan->inner->length * b;
    return total;
}

void ck_fft_complex_lines_level(int level, const CKFFTPlan *plan, double *data, long stride, const long *starts, long count,
                                double *scratch) {
#if defined(__x86_64__)
    if (level >= 2) { complex_lines_avx512(plan, data, stride, starts, count, scratch); return; }
    if (level == 1) { complex_lines_avx2(plan, data, stride, starts, count, scratch); return; }
#endif
    (void)level;
    complex_lines_baseline(plan, data, stride, starts, count, scratch);
}

void ck_fft_real_lines_level(int level, const CKFFTPlan *plan, const float *source, long sourceStride,
                             const long *sourceStarts, long count, double *spectra, long spectraStride,
                             const long *spectraStarts, double *scratch) {
#if defined(__x86_64__)
    if (level >= 2) {
        real_lines_avx512(plan, source, sourceStride, sourceStarts, count, spectra, spectraStride, spectraStarts, scratch);
        return;
    }
    if (level == 1) {
        real_lines_avx2(plan, source, sourceStride, sourceStarts, count, spectra, spectraStride, spectraStarts, scratch);
        return;
    }
#endif
    (void)level;
    real_lines_baseline(plan, source, sourceStride, sourceStarts, count, spectra, spectraStride, spectraStarts, scratch);
}

void ck_fft_complex_lines(const CKFFTPlan *plan, double *data, long stride, const long *starts, long count, double *scratch) {
    ck_fft_complex_lines_level(ck_kernel_level(), plan, data, stride, starts, count, scratch);
}

void ck_fft_real_lines(const CKFFTPlan *plan, const float *source, long sourceStride, const long *sourceStarts, long count,
                       double *spectra, long spectraStride, const long *spectraStarts, double *scratch) {
    ck_fft_real_lines_level(ck_kernel_level(), plan, source, sourceStride, sourceStarts, count, spectra, spectraStride,
                            spectraStarts, scratch);
}
