import Foundation
import Synchronization

/// The forward complex DFT of one length, X[k] = sum_n x[n] e^{-2 pi i k n / N}, on interleaved
/// (re, im) double-precision buffers.
///
/// Lengths whose prime factors are 2, 3 and 5 run a recursive mixed-radix Cooley-Tukey transform
/// (radix 4 first, then 2, 3, 5); any other length runs Bluestein's algorithm, which rewrites the DFT as
/// a convolution with a chirp and does that convolution with power-of-two transforms. Both are
/// O(N log N), so a video of a prime number of frames costs about what its neighbours cost.
///
/// Double precision inside: a 2-d transform of a (300, 1024) map sums 3e5 terms of magnitude ~1, and
/// the plans are cheap next to the matrix products around them, so the extra bits cost nothing that
/// shows while keeping the float32 results correctly rounded in practice.
final class FFTPlan: Sendable {
    let length: Int
    /// Radices whose product is `length` (empty for length 1 and for Bluestein plans).
    let radices: [Int]
    /// e^{-2 pi i j / N}, j in 0..<N, interleaved.
    let twiddles: [Double]
    let bluestein: BluesteinPlan?

    init(length n: Int) {
        precondition(n >= 1, "FFTPlan: length \(n)")
        length = n
        var rest = n, factors: [Int] = []
        for p in [4, 2, 3, 5] {
            while rest % p == 0 { factors.append(p); rest /= p }
        }
        var table = [Double](repeating: 0, count: 2 * n)
        for j in 0..<n {
            // sin/cos of an exact rational multiple of 2 pi, reduced first so large j lose no accuracy.
            let angle = -2 * Double.pi * Double(j) / Double(n)
            table[2 * j] = cos(angle)
            table[2 * j + 1] = sin(angle)
        }
        twiddles = table
        if rest == 1 {
            radices = factors
            bluestein = nil
        } else {
            radices = []
            bluestein = BluesteinPlan(length: n)
        }
    }

    /// The plan for `n`, built once per length and shared (plans are immutable).
    static func forLength(_ n: Int) -> FFTPlan {
        if let plan = fftPlanCache.withLock({ $0[n] }) { return plan }
        let plan = FFTPlan(length: n)
        return fftPlanCache.withLock { cache in
            if let existing = cache[n] { return existing }
            cache[n] = plan
            return plan
        }
    }

    /// Forward transform of `length` complex values read from `input` with a stride of `inputStride`
    /// complex elements, written contiguously to `output` (which must not overlap the input).
    /// `scratch` holds `scratchCount` doubles.
    func transform(_ input: UnsafePointer<Double>, inputStride: Int, into output: UnsafeMutablePointer<Double>,
                   scratch: UnsafeMutablePointer<Double>) {
        if length == 1 {
            output[0] = input[0]; output[1] = input[1]
            return
        }
        if let bluestein {
            bluestein.transform(input, inputStride: inputStride, into: output, scratch: scratch)
            return
        }
        twiddles.withUnsafeBufferPointer { tw in
            radices.withUnsafeBufferPointer { r in
                mixedRadix(output, input, inputStride, length, r.baseAddress!, 1, tw.baseAddress!)
            }
        }
    }

    /// Doubles of scratch `transform` needs.
    var scratchCount: Int { bluestein.map { $0.scratchCount } ?? 0 }

    /// One level of decimation in time: the length-n DFT of x[0], x[s], x[2s], ... from the p DFTs of
    /// length m = n / p of its p interleaved subsequences x[q + p r], combined by
    /// X[k + u m] = sum_q (W_n^{q k} Y_q[k]) W_p^{q u}. `twStride` = N / n maps W_n onto the table of W_N.
    private func mixedRadix(_ out: UnsafeMutablePointer<Double>, _ x: UnsafePointer<Double>, _ stride: Int, _ n: Int,
                            _ radices: UnsafePointer<Int>, _ twStride: Int, _ tw: UnsafePointer<Double>) {
        let p = radices[0], m = n / p
        if m == 1 {
            for q in 0..<p { out[2 * q] = x[2 * q * stride]; out[2 * q + 1] = x[2 * q * stride + 1] }
        } else {
            for q in 0..<p {
                mixedRadix(out + 2 * q * m, x + 2 * q * stride, stride * p, m, radices + 1, twStride * p, tw)
            }
        }
        switch p {
        case 2:
            for k in 0..<m {
                let a = out + 2 * k, b = out + 2 * (k + m)
                let (wr, wi) = (tw[2 * k * twStride], tw[2 * k * twStride + 1])
                let tr = b[0] * wr - b[1] * wi, ti = b[0] * wi + b[1] * wr
                b[0] = a[0] - tr; b[1] = a[1] - ti
                a[0] += tr; a[1] += ti
            }
        case 4:
            for k in 0..<m {
                let y0 = out + 2 * k, y1 = out + 2 * (k + m), y2 = out + 2 * (k + 2 * m), y3 = out + 2 * (k + 3 * m)
                let j1 = 2 * k * twStride, j2 = 2 * j1, j3 = 3 * j1
                let t1r = y1[0] * tw[j1] - y1[1] * tw[j1 + 1], t1i = y1[0] * tw[j1 + 1] + y1[1] * tw[j1]
                let t2r = y2[0] * tw[j2] - y2[1] * tw[j2 + 1], t2i = y2[0] * tw[j2 + 1] + y2[1] * tw[j2]
                let t3r = y3[0] * tw[j3] - y3[1] * tw[j3 + 1], t3i = y3[0] * tw[j3 + 1] + y3[1] * tw[j3]
                let (t0r, t0i) = (y0[0], y0[1])
                // W_4 = -i: X[k+m] = t0 - i t1 - t2 + i t3, X[k+3m] = t0 + i t1 - t2 - i t3.
                let sr = t0r + t2r, si = t0i + t2i, dr = t0r - t2r, di = t0i - t2i
                let er = t1r + t3r, ei = t1i + t3i, fr = t1r - t3r, fi = t1i - t3i
                y0[0] = sr + er; y0[1] = si + ei
                y2[0] = sr - er; y2[1] = si - ei
                y1[0] = dr + fi; y1[1] = di - fr
                y3[0] = dr - fi; y3[1] = di + fr
            }
        default:
            // Radix 3 or 5: the small DFT written out as a sum (p <= 5 terms).
            let nTotal = twiddles.count / 2, rootStep = nTotal / p
            var tr = (0.0, 0.0, 0.0, 0.0, 0.0), ti = (0.0, 0.0, 0.0, 0.0, 0.0)
            withUnsafeMutableBytes(of: &tr) { trBytes in
                withUnsafeMutableBytes(of: &ti) { tiBytes in
                    let tRe = trBytes.baseAddress!.assumingMemoryBound(to: Double.self)
                    let tIm = tiBytes.baseAddress!.assumingMemoryBound(to: Double.self)
                    for k in 0..<m {
                        for q in 0..<p {
                            let y = out + 2 * (k + q * m), j = 2 * q * k * twStride
                            tRe[q] = y[0] * tw[j] - y[1] * tw[j + 1]
                            tIm[q] = y[0] * tw[j + 1] + y[1] * tw[j]
                        }
                        for u in 0..<p {
                            var sr = 0.0, si = 0.0
                            for q in 0..<p {
                                let j = 2 * ((q * u) % p) * rootStep
                                sr += tRe[q] * tw[j] - tIm[q] * tw[j + 1]
                                si += tRe[q] * tw[j + 1] + tIm[q] * tw[j]
                            }
                            out[2 * (k + u * m)] = sr; out[2 * (k + u * m) + 1] = si
                        }
                    }
                }
            }
        }
    }
}

private let fftPlanCache = Mutex<[Int: FFTPlan]>([:])

/// Bluestein's chirp-z rewriting of a length-n DFT: with c_k = e^{-pi i k^2 / n},
/// X_k = c_k sum_j (x_j c_j) conj(c_{k-j}), a circular convolution of length M >= 2n - 1 (a power of
/// two) done with two forward transforms and one inverse (the inverse as conj(FFT(conj(.))) / M).
final class BluesteinPlan: Sendable {
    let length: Int
    let inner: FFTPlan
    /// c_k, k in 0..<n, interleaved.
    let chirp: [Double]
    /// The transform of b with b_k = conj(c_|k|) wrapped around M, interleaved.
    let kernelSpectrum: [Double]

    init(length n: Int) {
        length = n
        var m = 1
        while m < 2 * n - 1 { m <<= 1 }
        inner = FFTPlan.forLength(m)
        var c = [Double](repeating: 0, count: 2 * n)
        for k in 0..<n {
            // k^2 mod 2n keeps the angle small, so the chirp is accurate for long videos too.
            let r = (k * k) % (2 * n)
            let angle = -Double.pi * Double(r) / Double(n)
            c[2 * k] = cos(angle); c[2 * k + 1] = sin(angle)
        }
        chirp = c
        var b = [Double](repeating: 0, count: 2 * m)
        for k in 0..<n {
            b[2 * k] = c[2 * k]; b[2 * k + 1] = -c[2 * k + 1]
            if k > 0 { b[2 * (m - k)] = c[2 * k]; b[2 * (m - k) + 1] = -c[2 * k + 1] }
        }
        var spectrum = [Double](repeating: 0, count: 2 * m)
        let innerPlan = inner
        b.withUnsafeBufferPointer { bp in
            spectrum.withUnsafeMutableBufferPointer { sp in
                innerPlan.transform(bp.baseAddress!, inputStride: 1, into: sp.baseAddress!, scratch: sp.baseAddress!)
            }
        }
        kernelSpectrum = spectrum
    }

    var scratchCount: Int { 4 * inner.length }

    func transform(_ input: UnsafePointer<Double>, inputStride: Int, into output: UnsafeMutablePointer<Double>,
                   scratch: UnsafeMutablePointer<Double>) {
        let n = length, m = inner.length
        let a = scratch, spectrum = scratch + 2 * m
        chirp.withUnsafeBufferPointer { cBuf in
            kernelSpectrum.withUnsafeBufferPointer { kBuf in
                let c = cBuf.baseAddress!, kern = kBuf.baseAddress!
                for k in 0..<n {
                    let xr = input[2 * k * inputStride], xi = input[2 * k * inputStride + 1]
                    a[2 * k] = xr * c[2 * k] - xi * c[2 * k + 1]
                    a[2 * k + 1] = xr * c[2 * k + 1] + xi * c[2 * k]
                }
                (a + 2 * n).update(repeating: 0, count: 2 * (m - n))
                inner.transform(a, inputStride: 1, into: spectrum, scratch: a)
                // Pointwise product, conjugated so the next forward transform computes the inverse.
                for j in 0..<m {
                    let sr = spectrum[2 * j], si = spectrum[2 * j + 1], kr = kern[2 * j], ki = kern[2 * j + 1]
                    spectrum[2 * j] = sr * kr - si * ki
                    spectrum[2 * j + 1] = -(sr * ki + si * kr)
                }
                inner.transform(spectrum, inputStride: 1, into: a, scratch: spectrum)
                let scale = 1 / Double(m)
                for k in 0..<n {
                    let yr = a[2 * k] * scale, yi = -a[2 * k + 1] * scale
                    output[2 * k] = yr * c[2 * k] - yi * c[2 * k + 1]
                    output[2 * k + 1] = yr * c[2 * k + 1] + yi * c[2 * k]
                }
            }
        }
    }
}

/// Forward complex DFT of one sequence (tests and small callers): (re, im) in, (re, im) out.
func complexDFT(real: [Double], imag: [Double]) -> (real: [Double], imag: [Double]) {
    precondition(real.count == imag.count && !real.isEmpty, "complexDFT: needs equal, non-empty parts")
    let n = real.count
    let plan = FFTPlan.forLength(n)
    var input = [Double](repeating: 0, count: 2 * n), output = input
    for k in 0..<n { input[2 * k] = real[k]; input[2 * k + 1] = imag[k] }
    var scratch = [Double](repeating: 0, count: Swift.max(plan.scratchCount, 1))
    input.withUnsafeBufferPointer { i in
        output.withUnsafeMutableBufferPointer { o in
            scratch.withUnsafeMutableBufferPointer { s in
                plan.transform(i.baseAddress!, inputStride: 1, into: o.baseAddress!, scratch: s.baseAddress!)
            }
        }
    }
    return ((0..<n).map { output[2 * $0] }, (0..<n).map { output[2 * $0 + 1] })
}

/// Re(DFT over `axes`) of a real float32 array with `shape`, from `source` into `target` (same count).
/// The first axis transforms the real input; later axes transform the complex intermediate; the real
/// part is taken at the end. Lines along an axis are independent and run in parallel.
func realPartOfDFTKernel(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, shape: [Int], axes: [Int]) {
    let count = shape.reduce(1, *)
    guard count > 0 else { return }
    let work = UnsafeMutablePointer<Double>.allocate(capacity: 2 * count)
    defer { work.deallocate() }
    parallelChunks(count) { s, e in
        for i in s..<e { work[2 * i] = Double(source[i]); work[2 * i + 1] = 0 }
    }
    let shared = UncheckedSendable(work)
    for axis in axes {
        let length = shape[axis]
        if length == 1 { continue }
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        let plan = FFTPlan.forLength(length)
        let lines = outer * inner
        // Each line costs about 5 L log2 L flops; aim for chunks of some 30k.
        let grain = Swift.max(1, 32_768 / Swift.max(1, length * 8))
        parallelChunks(lines, grain: grain) { first, last in
            let work = shared.value
            let line = UnsafeMutablePointer<Double>.allocate(capacity: 2 * length)
            let scratch = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(plan.scratchCount, 1))
            defer { line.deallocate(); scratch.deallocate() }
            for l in first..<last {
                let o = l / inner, i = l % inner
                let base = work + 2 * (o * length * inner + i)
                plan.transform(UnsafePointer(base), inputStride: inner, into: line, scratch: scratch)
                for k in 0..<length {
                    base[2 * k * inner] = line[2 * k]
                    base[2 * k * inner + 1] = line[2 * k + 1]
                }
            }
        }
    }
    parallelChunks(count) { s, e in
        for i in s..<e { target[i] = Float(work[2 * i]) }
    }
}
