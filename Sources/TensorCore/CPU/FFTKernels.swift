import CKernels
import Foundation
import Synchronization

/// The plan of the forward complex DFT of one length, X[k] = sum_n x[n] e^{-2 pi i k n / N}; the
/// transforms themselves run in CKernels (FFT.c), on groups of lines at once in wide vectors.
///
/// Lengths whose prime factors are 2, 3 and 5 run a mixed-radix Cooley-Tukey transform (radix 4 first,
/// then 2, 3, 5); any other length runs Bluestein's algorithm, which rewrites the DFT as a convolution
/// with a chirp and does that convolution with power-of-two transforms. Both are O(N log N), so a video
/// of a prime number of frames costs about what its neighbours cost.
///
/// Double precision inside: a 2-d transform of a (300, 1024) map sums 3e5 terms of magnitude ~1; with
/// doubles the float32 results are correctly rounded in practice.
final class FFTPlan: @unchecked Sendable {   // immutable after init; the C view points into its own buffers
    let length: Int
    /// Radices whose product is `length`, outermost first (empty for length 1 and for Bluestein plans).
    let radices: [Int]
    /// Bluestein plans: the power-of-two plan of length M >= 2 N - 1 the convolution runs on.
    let inner: FFTPlan?
    /// What the C kernels read. Its arrays are allocated here once and freed with the plan.
    let raw: UnsafeMutablePointer<CKFFTPlan>
    /// Doubles of scratch one call of `transform` or the real-line kernel needs.
    let scratchCount: Int

    init(length n: Int) {
        precondition(n >= 1, "FFTPlan: length \(n)")
        length = n
        var rest = n, factors: [Int] = []
        for p in [4, 2, 3, 5] {
            while rest % p == 0 { factors.append(p); rest /= p }
        }
        var plan = CKFFTPlan()
        plan.length = n
        if rest == 1 {
            plan.twiddles = UnsafePointer(Self.unitRoots(n))
            radices = factors
            inner = nil
            let radixBuffer = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(factors.count, 1))
            for (i, p) in factors.enumerated() { radixBuffer[i] = Int32(p) }
            plan.radix_count = Int32(factors.count)
            plan.radices = UnsafePointer(radixBuffer)
            plan.permutation = UnsafePointer(Self.inputOrder(n, radices: factors))
        } else {
            radices = []
            var m = 1
            while m < 2 * n - 1 { m <<= 1 }
            let innerPlan = FFTPlan.forLength(m)
            inner = innerPlan
            let chirp = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n)
            for k in 0..<n {
                // k^2 mod 2n keeps the angle small, so the chirp is accurate for long videos too.
                let angle = -Double.pi * Double((k * k) % (2 * n)) / Double(n)
                chirp[2 * k] = cos(angle); chirp[2 * k + 1] = sin(angle)
            }
            // b_k = conj(c_|k|) wrapped around M, and its transform.
            let kernel = UnsafeMutablePointer<Double>.allocate(capacity: 2 * m)
            kernel.initialize(repeating: 0, count: 2 * m)
            for k in 0..<n {
                kernel[2 * k] = chirp[2 * k]; kernel[2 * k + 1] = -chirp[2 * k + 1]
                if k > 0 { kernel[2 * (m - k)] = chirp[2 * k]; kernel[2 * (m - k) + 1] = -chirp[2 * k + 1] }
            }
            innerPlan.transform(kernel, stride: 1, starts: [0])
            plan.inner = UnsafePointer(innerPlan.raw)
            plan.chirp = UnsafePointer(chirp)
            plan.kernel_spectrum = UnsafePointer(kernel)
        }
        raw = UnsafeMutablePointer<CKFFTPlan>.allocate(capacity: 1)
        raw.initialize(to: plan)
        scratchCount = ck_fft_scratch_doubles(raw)
    }

    deinit {
        let plan = raw.pointee
        UnsafeMutablePointer(mutating: plan.twiddles)?.deallocate()
        UnsafeMutablePointer(mutating: plan.radices)?.deallocate()
        UnsafeMutablePointer(mutating: plan.permutation)?.deallocate()
        UnsafeMutablePointer(mutating: plan.chirp)?.deallocate()
        UnsafeMutablePointer(mutating: plan.kernel_spectrum)?.deallocate()
        raw.deallocate()
    }

    /// e^{-2 pi i j / n}, j in 0..<n, interleaved.
    private static func unitRoots(_ n: Int) -> UnsafeMutablePointer<Double> {
        let table = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n)
        for j in 0..<n {
            let angle = -2 * Double.pi * Double(j) / Double(n)
            table[2 * j] = cos(angle)
            table[2 * j + 1] = sin(angle)
        }
        return table
    }

    /// The input index each output slot holds before the butterfly passes: decimation in time splits a
    /// length into p subsequences x[q + p r] and places sub-DFT q at q m, recursively.
    private static func inputOrder(_ n: Int, radices: [Int]) -> UnsafeMutablePointer<Int> {
        let order = UnsafeMutablePointer<Int>.allocate(capacity: n)
        func place(_ out: Int, _ input: Int, _ stride: Int, _ level: Int, _ size: Int) {
            if size == 1 { order[out] = input; return }
            let p = radices[level], m = size / p
            for q in 0..<p { place(out + q * m, input + q * stride, stride * p, level + 1, m) }
        }
        place(0, 0, 1, 0, n)
        return order
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

    /// In-place forward transform of the complex lines (interleaved doubles) starting at `starts`
    /// (complex elements from `data`), element j of each at start + j stride; any number of lines.
    func transform(_ data: UnsafeMutablePointer<Double>, stride: Int, starts: [Int]) {
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: scratchCount)
        defer { scratch.deallocate() }
        starts.withUnsafeBufferPointer { s in
            var first = 0
            while first < starts.count {
                let count = Swift.min(Int(CK_FFT_MAX_LINES), starts.count - first)
                ck_fft_complex_lines(raw, data, stride, s.baseAddress! + first, count, scratch)
                first += count
            }
        }
    }
}

private let fftPlanCache = Mutex<[Int: FFTPlan]>([:])

/// Forward complex DFT of one sequence (tests and small callers): (re, im) in, (re, im) out.
func complexDFT(real: [Double], imag: [Double]) -> (real: [Double], imag: [Double]) {
    precondition(real.count == imag.count && !real.isEmpty, "complexDFT: needs equal, non-empty parts")
    let n = real.count
    var data = [Double](repeating: 0, count: 2 * n)
    for k in 0..<n { data[2 * k] = real[k]; data[2 * k + 1] = imag[k] }
    data.withUnsafeMutableBufferPointer { FFTPlan.forLength(n).transform($0.baseAddress!, stride: 1, starts: [0]) }
    return ((0..<n).map { data[2 * $0] }, (0..<n).map { data[2 * $0 + 1] })
}

/// Re(DFT over `axes`) of a real float32 array with `shape`, from `source` into `target` (same count).
///
/// The input is real, so the full transform Z is Hermitian: Z[-k] = conj(Z[k]) with every transformed
/// index negated modulo its length. Only half of it is computed: the innermost transformed axis (length
/// L, the real axis) is transformed as real lines, two to a complex transform, keeping bins 0 ... L/2;
/// the other axes then transform that half spectrum; and an output bin l > L/2 reads the real part at
/// (L - l) with the other transformed indices negated. Lines are grouped (FFT.c) and the groups run in
/// parallel.
func realPartOfDFTKernel(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, shape: [Int], axes: [Int]) {
    let count = shape.reduce(1, *)
    guard count > 0 else { return }
    let realAxis = axes.max()!
    let length = shape[realAxis], half = length / 2 + 1
    var halfShape = shape
    halfShape[realAxis] = half
    let spectra = UnsafeMutablePointer<Double>.allocate(capacity: 2 * halfShape.reduce(1, *))
    defer { spectra.deallocate() }
    let shared = UncheckedSendable(spectra)

    let realPlan = FFTPlan.forLength(length)
    forEachLineGroup(shape: shape, axis: realAxis, groupSize: 2 * Int(CK_FFT_MAX_LINES)) { lines, scratch, starts in
        // Source starts and spectra starts of the same lines: (o, i) -> o L I + i and o half I + i.
        let inner = shape[(realAxis + 1)...].reduce(1, *)
        let targetStarts = starts + lines.count
        for (b, l) in lines.enumerated() {
            let o = l / inner, i = l % inner
            starts[b] = o * length * inner + i
            targetStarts[b] = o * half * inner + i
        }
        ck_fft_real_lines(realPlan.raw, source, inner, starts, lines.count, shared.value, inner, targetStarts, scratch)
    }
    for axis in axes where axis != realAxis && shape[axis] > 1 {
        let plan = FFTPlan.forLength(shape[axis])
        forEachLineGroup(shape: halfShape, axis: axis, groupSize: Int(CK_FFT_MAX_LINES)) { lines, scratch, starts in
            let inner = halfShape[(axis + 1)...].reduce(1, *), n = halfShape[axis]
            for (b, l) in lines.enumerated() { starts[b] = (l / inner) * n * inner + l % inner }
            ck_fft_complex_lines(plan.raw, shared.value, inner, starts, lines.count, scratch)
        }
    }
    writeRealParts(UnsafePointer(spectra), target, shape: shape, halfShape: halfShape, realAxis: realAxis,
                   transformed: Set(axes))
}

/// Runs `body(lines, scratch, starts)` over the lines along `axis` of an array with `shape` (line
/// o inner + i for outer index o and inner index i), `groupSize` consecutive lines at a time, groups in
/// parallel. `starts` has room for 2 groupSize indices; `scratch` is the FFT scratch of that length.
private func forEachLineGroup(shape: [Int], axis: Int, groupSize: Int,
                              _ body: (Range<Int>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Int>) -> Void) {
    let length = shape[axis]
    let lines = shape.reduce(1, *) / length
    let groups = (lines + groupSize - 1) / groupSize
    let plan = FFTPlan.forLength(length)
    // A group costs about 5 L log2 L flops per line; aim for chunks of some 100k.
    let grain = Swift.max(1, 100_000 / Swift.max(1, groupSize * length * 8))
    parallelChunks(groups, grain: grain) { first, last in
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: plan.scratchCount)
        let starts = UnsafeMutablePointer<Int>.allocate(capacity: 2 * groupSize)
        defer { scratch.deallocate(); starts.deallocate() }
        for g in first..<last {
            body(g * groupSize..<Swift.min(lines, (g + 1) * groupSize), scratch, starts)
        }
    }
}

/// target = Re(Z) from the half spectrum (interleaved doubles, `halfShape`): bins below half along the
/// real axis read directly, the others at (L - l) with every other transformed index negated.
private func writeRealParts(_ spectra: UnsafePointer<Double>, _ target: UnsafeMutablePointer<Float>, shape: [Int],
                            halfShape: [Int], realAxis: Int, transformed: Set<Int>) {
    let rank = shape.count
    var outStrides = [Int](repeating: 1, count: rank), halfStrides = outStrides
    for d in stride(from: rank - 2, through: 0, by: -1) {
        outStrides[d] = outStrides[d + 1] * shape[d + 1]
        halfStrides[d] = halfStrides[d + 1] * halfShape[d + 1]
    }
    let half = halfShape[realAxis], length = shape[realAxis]
    let negated = (0..<rank).map { transformed.contains($0) }
    /// Indices `range` of dimension d, then all of the later ones. `direct` and `mirror` are the spectrum
    /// offsets of the two readings so far; the real axis picks one, and the axes after it (the real axis
    /// is the innermost transformed one) are not transformed, so both are then the same.
    func fill(_ d: Int, _ range: Range<Int>, _ out: Int, _ direct: Int, _ mirror: Int) {
        let n = shape[d], hs = halfStrides[d], os = outStrides[d]
        if d == rank - 1 {
            // The last dimension has stride 1 in both arrays.
            let row = target + out, forward = spectra + 2 * direct
            if d == realAxis {
                let backward = spectra + 2 * (mirror + length)
                for l in range.clamped(to: 0..<half) { row[l] = Float(forward[2 &* l]) }
                for l in range.clamped(to: half..<length) { row[l] = Float(backward[0 &- 2 &* l]) }
            } else {
                for k in range { row[k] = Float(forward[2 &* k]) }
            }
            return
        }
        for k in range {
            if d == realAxis {
                let offset = k < half ? direct + k * hs : mirror + (length - k) * hs
                fill(d + 1, 0..<shape[d + 1], out + k * os, offset, offset)
            } else {
                let mk = negated[d] && k > 0 ? n - k : k
                fill(d + 1, 0..<shape[d + 1], out + k * os, direct + k * hs, mirror + mk * hs)
            }
        }
    }
    let rows = shape[0], perRow = shape.reduce(1, *) / Swift.max(rows, 1)
    parallelChunks(rows, grain: Swift.max(1, 65_536 / Swift.max(perRow, 1))) { first, last in
        fill(0, first..<last, 0, 0, 0)
    }
}
