import Foundation
import CKernels
import Testing
@testable import TensorCore

/// The FFT (mixed radix and Bluestein) against a direct O(N^2) DFT and against numpy.fft, and the
/// real-part DFT op's forward and gradient.
@Suite("Fourier transforms")
struct FourierTests {
    /// The direct sum in double precision, the definition the plans must reproduce.
    static func directDFT(_ re: [Double], _ im: [Double]) -> ([Double], [Double]) {
        let n = re.count
        var outRe = [Double](repeating: 0, count: n), outIm = outRe
        for k in 0..<n {
            for j in 0..<n {
                let angle = -2 * Double.pi * Double((k * j) % n) / Double(n)
                outRe[k] += re[j] * cos(angle) - im[j] * sin(angle)
                outIm[k] += re[j] * sin(angle) + im[j] * cos(angle)
            }
        }
        return (outRe, outIm)
    }

    static func largestError(_ a: ([Double], [Double]), _ b: ([Double], [Double])) -> Double {
        let scale = zip(b.0, b.1).map { ($0 * $0 + $1 * $1).squareRoot() }.max() ?? 1
        let error = (0..<a.0.count).map { Swift.max(Swift.abs(a.0[$0] - b.0[$0]), Swift.abs(a.1[$0] - b.1[$0])) }.max() ?? 0
        return error / Swift.max(scale, 1e-300)
    }

    /// Every length 1...70 (all radix mixes, every prime up to 67 through Bluestein) and a few long ones.
    @Test func matchesTheDirectSumForEveryLength() {
        var rng = SeededGenerator(seed: 41)
        for n in Array(1...70) + [97, 125, 243, 256, 300, 331, 1000] {
            let re = (0..<n).map { _ in rng.normal() }, im = (0..<n).map { _ in rng.normal() }
            let fast = complexDFT(real: re, imag: im)
            let error = Self.largestError(fast, Self.directDFT(re, im))
            #expect(error < 1e-12, "length \(n): relative error \(error)")
        }
    }

    @Test func radicesAndBluesteinAreChosenByTheFactors() {
        #expect(FFTPlan(length: 300).radices == [4, 3, 5, 5])   // 300 = 4 x 3 x 5 x 5
        #expect(FFTPlan(length: 300).inner == nil)
        #expect(FFTPlan(length: 1024).radices == [4, 4, 4, 4, 4])
        #expect(FFTPlan(length: 97).inner?.length == 256)
        #expect(FFTPlan(length: 14).inner != nil)   // 2 x 7
        #expect(FFTPlan(length: 1).radices.isEmpty && FFTPlan(length: 1).inner == nil)
    }

    /// Lengths for the kernel tests: 1, 2, every radix mix, primes and other Bluestein lengths.
    static let kernelLengths = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 25, 30, 31, 60, 64, 97, 300]

    /// The grouped complex kernel at every instruction-set level: groups of 1, 5 and the maximum 16
    /// lines, strided (the lines interleaved in one buffer), each line against the direct sum.
    @Test(arguments: [0, 1, 2]) func complexLinesAtEachLevelMatchTheDirectSum(_ level: Int32) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        var rng = SeededGenerator(seed: 7)
        for n in Self.kernelLengths {
            for lines in [1, 5, Int(CK_FFT_MAX_LINES)] {
                // Line b's element j at complex index b + j lines.
                var data = (0..<(2 * n * lines)).map { _ in rng.normal() }
                let before = data
                let plan = FFTPlan.forLength(n)
                var scratch = [Double](repeating: .nan, count: plan.scratchCount)
                let starts = Array(0..<lines)
                ck_fft_complex_lines_level(level, plan.raw, &data, lines, starts, lines, &scratch)
                for b in 0..<lines {
                    let re = (0..<n).map { before[2 * (b + $0 * lines)] }, im = (0..<n).map { before[2 * (b + $0 * lines) + 1] }
                    let got = ((0..<n).map { data[2 * (b + $0 * lines)] }, (0..<n).map { data[2 * (b + $0 * lines) + 1] })
                    let error = Self.largestError(got, Self.directDFT(re, im))
                    #expect(error < 1e-12, "level \(level) length \(n), \(lines) lines, line \(b): relative error \(error)")
                }
            }
        }
    }

    /// The real-line kernel (two real lines per complex transform, half spectra out) at every level,
    /// with an odd number of lines (the last one unpaired), against the direct sum of each real line.
    @Test(arguments: [0, 1, 2]) func realLinesAtEachLevelGiveTheHalfSpectrum(_ level: Int32) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        var rng = SeededGenerator(seed: 8)
        for n in Self.kernelLengths {
            for lines in [1, 2, 7, 2 * Int(CK_FFT_MAX_LINES)] {
                let half = n / 2 + 1
                // Rows of a (lines, n) map, read along n; the spectra go to a (half, lines) map.
                let x = (0..<(n * lines)).map { _ in Float(rng.normal()) }
                var spectra = [Double](repeating: .nan, count: 2 * half * lines)
                let plan = FFTPlan.forLength(n)
                var scratch = [Double](repeating: .nan, count: plan.scratchCount)
                ck_fft_real_lines_level(level, plan.raw, x, 1, (0..<lines).map { $0 * n }, lines,
                                        &spectra, lines, Array(0..<lines), &scratch)
                for b in 0..<lines {
                    let expected = Self.directDFT((0..<n).map { Double(x[b * n + $0]) }, [Double](repeating: 0, count: n))
                    let got = ((0..<half).map { spectra[2 * ($0 * lines + b)] }, (0..<half).map { spectra[2 * ($0 * lines + b) + 1] })
                    let error = Self.largestError(got, (Array(expected.0[..<half]), Array(expected.1[..<half])))
                    #expect(error < 1e-12, "level \(level) length \(n), \(lines) lines, line \(b): relative error \(error)")
                }
            }
        }
    }

    /// Re(DFT over axes) by the definition, sum over the transformed indices of x cos(-2 pi sum k n / N),
    /// in double precision, for any shape and axes.
    static func directRealPart(_ x: [Float], shape: [Int], axes: [Int]) -> [Double] {
        let count = x.count, rank = shape.count
        func index(_ flat: Int) -> [Int] {
            var rest = flat, out = [Int](repeating: 0, count: rank)
            for d in stride(from: rank - 1, through: 0, by: -1) { out[d] = rest % shape[d]; rest /= shape[d] }
            return out
        }
        return (0..<count).map { o in
            let k = index(o)
            var sum = 0.0
            for i in 0..<count {
                let n = index(i)
                guard (0..<rank).allSatisfy({ axes.contains($0) || n[$0] == k[$0] }) else { continue }
                var phase = 0.0   // in turns
                for a in axes { phase += Double((k[a] * n[a]) % shape[a]) / Double(shape[a]) }
                sum += Double(x[i]) * cos(2 * Double.pi * phase)
            }
            return sum
        }
    }

    /// The half-spectrum op against the definition: the real axis first, last or in the middle, axes of
    /// length 1 and 2, odd and prime lengths (Bluestein), one to three transformed axes.
    @Test func realPartMatchesTheDefinitionForAnyShapeAndAxes() {
        let cases: [([Int], [Int])] = [
            ([9], [0]), ([1], [0]), ([2], [0]), ([13, 2], [1, 0]), ([2, 13], [0, 1]), ([7, 5], [0]), ([5, 7], [1]),
            ([3, 7, 4], [0, 1]), ([2, 3, 5], [0, 2]), ([5, 1, 6], [0, 1, 2]), ([4, 11, 3], [1]), ([6, 4, 5], [2, 0]),
            ([1, 1], [0, 1]), ([17, 10], [1, 0]), ([3, 4, 2, 5], [1, 3]),
        ]
        for (i, (shape, axes)) in cases.enumerated() {
            let x = randomTensor(shape, seed: UInt64(20 + i))
            let y = x.realPartOfDFT(axes: axes).values
            let expected = Self.directRealPart(x.values, shape: shape, axes: axes)
            let scale = Swift.max(expected.map(Swift.abs).max() ?? 1, 1)
            let error = zip(y, expected).map { Swift.abs(Double($0) - $1) }.max() ?? 0
            #expect(error <= 1e-6 * scale, "shape \(shape) axes \(axes): error \(error) (scale \(scale))")
        }
    }

    /// Many lines (several groups on both threads) give the same bits at every thread count.
    @Test func realPartIsTheSameAtAnyThreadCount() {
        let x = randomTensor([600, 128], seed: 9)
        let one = Threading.withCount(1) { x.realPartOfDFT(axes: [1, 0]).values }
        #expect(Threading.withCount(2) { x.realPartOfDFT(axes: [1, 0]).values } == one)
    }

    struct NumpyFixture: Decodable {
        struct ComplexCase: Decodable { let n: Int; let re, im, fft_re, fft_im: [Double] }
        struct RealCase: Decodable { let shape: [Int]; let x, y: [Double] }
        let complex: [ComplexCase]
        let real2d: [RealCase]
    }

    static func numpyFixture() throws -> NumpyFixture {
        let url = try #require(Bundle.module.url(forResource: "fft_numpy", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(NumpyFixture.self, from: Data(contentsOf: url))
    }

    /// numpy.fft.fft (pocketfft), written by tools/reference/fft_fixtures.py.
    @Test func matchesNumpyFFT() throws {
        let fixture = try Self.numpyFixture()
        #expect(fixture.complex.count >= 20)
        for c in fixture.complex {
            let error = Self.largestError(complexDFT(real: c.re, imag: c.im), (c.fft_re, c.fft_im))
            #expect(error < 1e-12, "length \(c.n): relative error \(error) against numpy")
        }
    }

    /// Re(fft(fft(x, axis=1), axis=0)) from numpy, against the float32 op.
    @Test func realPartOfTwoDimensionalDFTMatchesNumpy() throws {
        for c in try Self.numpyFixture().real2d {
            let x = Tensor(c.x.map(Float.init), shape: c.shape)
            let y = x.realPartOfDFT(axes: [1, 0]).values
            let scale = c.y.map(Swift.abs).max() ?? 1
            let error = zip(y, c.y).map { Swift.abs(Double($0) - $1) }.max() ?? 0
            #expect(error <= 1e-6 * scale, "shape \(c.shape): error \(error) (scale \(scale))")
            // The order of the two axes does not matter (the 2-d DFT is separable).
            #expect(maxAbs(x.realPartOfDFT(axes: [0, 1]).values, y) <= 1e-5 * Float(scale))
        }
    }

    /// A window of 4 (EDSNet's FFT pooling): Re(DFT) = C x with C[k][n] = cos(2 pi k n / 4).
    @Test func shortWindowIsTheCosineMatrix() {
        let x = randomTensor([3, 4, 2], seed: 3)
        let y = x.realPartOfDFT(axes: [1]).values, v = x.values
        for b in 0..<3 { for k in 0..<4 { for c in 0..<2 {
            var s: Float = 0
            for n in 0..<4 { s += cos(2 * Float.pi * Float(k * n) / 4) * v[(b * 4 + n) * 2 + c] }
            #expect(Swift.abs(y[(b * 4 + k) * 2 + c] - s) < 1e-5)
        } } }
    }

    @Test func gradientIsTheAdjointTransform() {
        checkGradients([randomTensor([5, 6], seed: 1)]) { $0[0].realPartOfDFT(axes: [1, 0]) }
        checkGradients([randomTensor([7, 5], seed: 2)]) { $0[0].realPartOfDFT(axes: [0]) }   // prime: Bluestein
        checkGradients([randomTensor([2, 7, 3], seed: 3)]) { $0[0].realPartOfDFT(axes: [1, 2]) }
        checkGradients([randomTensor([3, 4, 2], seed: 4)]) { $0[0].realPartOfDFT(axes: [1]) }
        checkGradients([randomTensor([3, 5, 2], seed: 5)]) { $0[0].realPartOfDFT(axes: [0, 1]) }   // real axis in the middle
    }

    func maxAbs(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0 }
}
