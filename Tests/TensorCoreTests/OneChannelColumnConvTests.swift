import CKernels
import Testing
@testable import TensorCore
import TestSupport

/// A (K, 1) convolution of a one-channel image (LoGoNet's conv1) runs in CKernels' one-pass kernel. It
/// must give the bits of the path it replaced (the bias filled, then one K = 1 sgemm per tap added over
/// the output), at every kernel level, with or without bias, for paddings that leave edge taps out and
/// for products on both sides of OpenBLAS's small-matrix threshold.
@Suite("One-channel column convolution") struct OneChannelColumnConvTests {
    struct Case: CustomStringConvertible {
        var n, o, h, w, k, pad, dilation: Int
        var bias: Bool
        var description: String { "n\(n) o\(o) h\(h) w\(w) k\(k) pad\(pad) dil\(dilation) bias \(bias)" }
    }

    static let cases = [
        Case(n: 2, o: 64, h: 170, w: 128, k: 3, pad: 1, dilation: 1, bias: true),    // LoGoNet small, above 10^6
        Case(n: 1, o: 64, h: 60, w: 128, k: 3, pad: 1, dilation: 1, bias: true),     // below the threshold
        Case(n: 3, o: 5, h: 9, w: 7, k: 5, pad: 2, dilation: 1, bias: false),
        Case(n: 1, o: 3, h: 11, w: 3, k: 3, pad: 2, dilation: 2, bias: true),
        Case(n: 1, o: 4, h: 4, w: 1, k: 3, pad: 0, dilation: 1, bias: true),
    ]

    /// The replaced computation: bias, then tap by tap `C += w_tap x_rows` as a K = 1 sgemm.
    static func reference(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, _ c: Case) -> [Float] {
        let outH = c.h + 2 * c.pad - c.dilation * (c.k - 1)
        var out = [Float](repeating: 0, count: c.n * c.o * outH * c.w)
        let wv = w.values
        let taps = (0..<(c.k * c.o)).map { wv[($0 % c.o) * c.k + $0 / c.o] }    // (K, O)
        out.withUnsafeMutableBufferPointer { po in
            for n in 0..<c.n {
                for o in 0..<c.o {
                    let b = bias.map { $0.values[o] } ?? 0
                    for i in 0..<(outH * c.w) { po[(n * c.o + o) * outH * c.w + i] = b }
                }
                taps.withUnsafeBufferPointer { pt in
                    for i in 0..<c.k {
                        let shift = i * c.dilation - c.pad
                        let (lo, hi) = (Swift.max(0, -shift), Swift.min(outH, c.h - shift))
                        if hi <= lo { continue }
                        sgemm(false, false, m: c.o, n: (hi - lo) * c.w, k: 1, pt.baseAddress! + i * c.o, lda: 1,
                              x.storage.pointer + n * c.h * c.w + (lo + shift) * c.w, ldb: c.h * c.w, beta: 1,
                              po.baseAddress! + n * c.o * outH * c.w + lo * c.w, ldc: outH * c.w)
                    }
                }
            }
        }
        return out
    }

    @Test(arguments: cases) func sameBitsAsTheTapBySgemms(_ c: Case) {
        let x = randomTensor([c.n, 1, c.h, c.w], seed: 7)
        let w = randomTensor([c.o, 1, c.k, 1], seed: 8, scale: 0.5)
        let bias = c.bias ? randomTensor([c.o], seed: 9) : nil
        let y = x.conv2d(weight: w, bias: bias, padding: (c.pad, 0), dilation: (c.dilation, 1))
        let expected = Self.reference(x, w, bias, c)
        #expect(mismatches(y.values.map(\.bitPattern), expected.map(\.bitPattern)).none, "\(c)")
        // And a direct double-precision sum, so the reference itself is the convolution.
        let outH = y.shape[2]
        let (xv, wv, yv, bv) = (x.values, w.values, y.values, bias?.values)
        var largest = 0.0
        for n in 0..<c.n { for o in 0..<c.o { for r in 0..<outH { for p in 0..<c.w {
            var sum = Double(bv?[o] ?? 0)
            for i in 0..<c.k {
                let row = r + i * c.dilation - c.pad
                if row >= 0 && row < c.h { sum += Double(wv[o * c.k + i]) * Double(xv[(n * c.h + row) * c.w + p]) }
            }
            largest = Swift.max(largest, abs(sum - Double(yv[((n * c.o + o) * outH + r) * c.w + p])))
        } } } }
        #expect(largest < 1e-5, "\(c): off the double-precision convolution by \(largest)")
    }

    @Test(arguments: [Int32(0), 1, 2]) func everyLevelGivesTheSameBits(_ level: Int32) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        let c = Self.cases[0]
        let x = randomTensor([1, 1, c.h, c.w], seed: 3), w = randomTensor([c.o, c.k], seed: 4), bias = randomTensor([c.o], seed: 5)
        var atLevel = [Float](repeating: 0, count: c.o * c.h * c.w), baseline = atLevel
        ck_column_conv_one_channel_level(level, x.storage.pointer, w.storage.pointer, bias.storage.pointer, &atLevel,
                                         c.o, c.h, c.w, c.h, c.k, 1, 1)
        ck_column_conv_one_channel_level(0, x.storage.pointer, w.storage.pointer, bias.storage.pointer, &baseline,
                                         c.o, c.h, c.w, c.h, c.k, 1, 1)
        #expect(mismatches(atLevel.map(\.bitPattern), baseline.map(\.bitPattern)).none)
    }
}
