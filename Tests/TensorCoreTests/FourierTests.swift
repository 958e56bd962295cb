import Foundation
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
        #expect(FFTPlan(length: 300).bluestein == nil)
        #expect(FFTPlan(length: 1024).radices == [4, 4, 4, 4, 4])
        #expect(FFTPlan(length: 97).bluestein?.inner.length == 256)
        #expect(FFTPlan(length: 14).bluestein != nil)   // 2 x 7
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
    }

    func maxAbs(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0 }
}
