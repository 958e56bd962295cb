import CKernels
import Foundation
import Testing
@testable import TensorCore

/// The row softmax kernels (`Sources/CKernels/Softmax.c`) at every instruction-set level this CPU runs,
/// against softmax and its gradient written out in double precision: lengths below, at and past the
/// sixteen lanes, key masks shared by several rows, a fully excluded row, and large logits.
@Suite("Softmax kernels") struct SoftmaxKernelTests {
    static let lengths = [1, 7, 16, 17, 130, 301]

    /// Double-precision softmax of one row over the kept positions (nil mask keeps all).
    static func reference(_ x: ArraySlice<Float>, mask: ArraySlice<Float>?) -> [Double] {
        let kept = x.indices.map { mask == nil || mask![mask!.startIndex + $0 - x.startIndex] != 0 }
        guard let m = zip(x, kept).filter({ $0.1 }).map({ Double($0.0) }).max() else { return Array(repeating: 0, count: x.count) }
        let e = zip(x, kept).map { $0.1 ? Foundation.exp(Double($0.0) - m) : 0 }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    @Test(arguments: [0, 1, 2], lengths) func rowsMatchTheDoublePrecisionSoftmax(_ level: Int32, _ length: Int) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        var rng = SeededGenerator(seed: UInt64(40 + length))
        let rows = 6, rowsPerMask = 3
        // Logits up to ±30 (attention scores of unnormalised features) and one row shifted by 1e4: the
        // max subtraction must keep it finite.
        var x = (0..<(rows * length)).map { _ in Float.random(in: -30...30, using: &rng) }
        for j in 0..<length { x[length + j] += 10_000 }
        // Mask row 0 excludes every third key; mask row 1 excludes all (its rows give zeros).
        let mask = (0..<(2 * length)).map { i -> Float in i >= length ? 0 : (i % 3 == 1 ? 0 : 1) }
        for masked in [false, true] {
            var y = [Float](repeating: .nan, count: x.count)
            // Two calls over a split of the rows, as the threads split them.
            let split = rows / 2 + 1
            mask.withUnsafeBufferPointer { m in
                let keyMask = masked ? m.baseAddress : nil
                ck_softmax_rows_level(level, x, &y, 0, split, length, keyMask, rowsPerMask)
                ck_softmax_rows_level(level, x, &y, split, rows, length, keyMask, rowsPerMask)
            }
            var worst = 0.0
            for r in 0..<rows {
                let maskRow = masked ? mask[(r / rowsPerMask) * length..<(r / rowsPerMask + 1) * length] : nil
                let expected = Self.reference(x[r * length..<(r + 1) * length], mask: maskRow)
                for j in 0..<length { worst = max(worst, abs(Double(y[r * length + j]) - expected[j])) }
                if masked, r / rowsPerMask == 1 {
                    #expect(y[r * length..<(r + 1) * length].allSatisfy { $0 == 0 }, "a fully excluded row gives zeros")
                }
            }
            #expect(worst < 1e-6, "level \(level), length \(length), masked \(masked): largest error \(worst)")
        }
    }

    @Test(arguments: [0, 1, 2], lengths) func gradientMatchesTheDoublePrecisionFormula(_ level: Int32, _ length: Int) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        var rng = SeededGenerator(seed: UInt64(90 + length))
        let rows = 5
        let logits = (0..<(rows * length)).map { _ in Float.random(in: -4...4, using: &rng) }
        var y = [Float](repeating: 0, count: logits.count)
        ck_softmax_rows_level(level, logits, &y, 0, rows, length, nil, 1)
        let g = (0..<(rows * length)).map { _ in Float.random(in: -1...1, using: &rng) }
        var gx = [Float](repeating: .nan, count: logits.count)
        ck_softmax_backward_rows_level(level, y, g, &gx, 0, 2, length)
        ck_softmax_backward_rows_level(level, y, g, &gx, 2, rows, length)
        var worst = 0.0
        for r in 0..<rows {
            let row = r * length..<(r + 1) * length
            let dot = row.map { Double(y[$0]) * Double(g[$0]) }.reduce(0, +)
            for i in row { worst = max(worst, abs(Double(gx[i]) - Double(y[i]) * (Double(g[i]) - dot))) }
        }
        #expect(worst < 1e-6, "level \(level), length \(length): largest error \(worst)")
    }

    /// The op's result does not depend on the thread count (each row is summed on its own, in lanes).
    @Test func softmaxGivesTheSameBitsOnOneAndTwoThreads() {
        let x = randomTensor([64, 300], seed: 12, scale: 5)
        let one = Threading.withCount(1) { x.softmax().values }
        let two = Threading.withCount(2) { x.softmax().values }
        #expect(one == two)
    }
}
