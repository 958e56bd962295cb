import CKernels
import Foundation
import Testing
@testable import TensorCore
import TestSupport

/// `bandAggregate` on batches large enough for both threads (the forward splits rows, the backward
/// columns), against the band written out element by element in the same order of additions, so the
/// results must match bit for bit; the bias gradient against the columns summed over the rows in order
/// (what `reducedGradient` sums in a separate pass; one row is copied). Zero coefficients (skipped taps), radius 1 (one pass per row) and 2 (a pass
/// per tap), a column count that is not a multiple of 16, one row and one column.
@Suite("Band aggregation against the element-by-element band") struct BandAggregateTests {
    /// out[b, t] = start + sum over o ascending of k[b, t, o] x[b, t + o] (taps with k == 0 skipped), and
    /// its transpose gx[b, s] = 0 + sum over o ascending of k[b, s - o, o] g[b, s - o].
    static func reference(_ x: [Float], _ k: [Float], _ g: [Float], start: [Float], b: Int, t: Int, c: Int, radius: Int)
        -> (out: [Float], gx: [Float]) {
        let width = 2 * radius + 1
        var out = [Float](repeating: 0, count: b * t * c), gx = out
        for bi in 0..<b { for i in 0..<t { for j in 0..<c {
            var acc = start[j], back: Float = 0
            for o in -radius...radius {
                if i + o >= 0 && i + o < t, k[(bi * t + i) * width + o + radius] != 0 {
                    acc += k[(bi * t + i) * width + o + radius] * x[(bi * t + i + o) * c + j]
                }
                if i - o >= 0 && i - o < t, k[(bi * t + i - o) * width + o + radius] != 0 {
                    back += k[(bi * t + i - o) * width + o + radius] * g[(bi * t + i - o) * c + j]
                }
            }
            out[(bi * t + i) * c + j] = acc
            gx[(bi * t + i) * c + j] = back
        } } }
        return (out, gx)
    }

    /// The row kernels at every level this CPU runs: 0 to 3 taps and the row sum, over a count with a
    /// vector body and a tail, against the additions written out in Swift.
    @Test(arguments: [0, 1, 2] as [Int32]) func rowKernelsAtEveryLevel(_ level: Int32) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        let n = 53
        let rows = (0..<5).map { randomTensor([n], seed: 50 + UInt64($0)).values }
        let k: [Float] = [0.37, -1.21, 0.0071]
        rows.withUnsafeBufferPointers { p in
            for taps in 0...3 {
                var dst = [Float](repeating: .nan, count: n)
                ck_band_row_level(level, &dst, p[0], Int32(taps), k[0], p[1], k[1], p[2], k[2], p[3], n)
                let expected = (0..<n).map { j in
                    var acc = rows[0][j]
                    for t in 0..<taps { acc += k[t] * rows[t + 1][j] }
                    return acc
                }
                #expect(dst == expected, "level \(level), \(taps) taps")
            }
            var sum = rows[4]
            ck_row_sum_level(level, &sum, p[3], n)
            #expect(sum == zip(rows[4], rows[3]).map { $0 + $1 }, "level \(level), row sum")
        }
    }

    /// The row-range kernels at every level this CPU runs, over two sequences of 9 rows (zero
    /// coefficients among them) and 21 columns (a vector body and a tail): forward against the element-by-
    /// element band, then ReLU and dropout as reluDropout's products; the transpose over a column range,
    /// with the bias row sums, against the reference, from g or from the ReLU-dropout gradient.
    @Test(arguments: [0, 1, 2] as [Int32]) func rowRangeKernelsAtEveryLevel(_ level: Int32) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        let (b, t, c) = (2, 9, 21), rows = b * t
        var k = uniformTensor([b, t, 3], 0.1, 1, seed: 80).values
        for i in stride(from: 0, to: k.count, by: 5) { k[i] = 0 }
        let x = randomTensor([rows, c], seed: 81).values, g = randomTensor([rows, c], seed: 82).values
        let start = randomTensor([c], seed: 83).values, zero = [Float](repeating: 0, count: c)
        let keep = (0..<(rows * c)).map { UInt8(($0 * 7 + $0 / 3) % 3 == 0 ? 0 : 1) }, scale: Float = 2
        let band = Self.reference(x, k, g, start: start, b: b, t: t, c: c, radius: 1).out
        let activated = zip(band, keep).map { u, kept in (u > 0 ? u : 0) * (Float(kept) * scale) }
        for withKeep in [false, true] {
            var y = [Float](repeating: .nan, count: rows * c)
            keep.withUnsafeBufferPointer { pkeep in
                ck_band_forward_rows_level(level, x, k, start, t, c, 0, 5, withKeep ? pkeep.baseAddress : nil, scale, &y)
                ck_band_forward_rows_level(level, x, k, start, t, c, 5, rows, withKeep ? pkeep.baseAddress : nil, scale, &y)
            }
            #expect(y == (withKeep ? activated : band), "forward, level \(level), keep \(withKeep)")
            // gu from the forward's output: (g (keep scale)) relu'(y).
            let gu = withKeep ? (0..<(rows * c)).map { i in (g[i] * (Float(keep[i]) * scale)) * (y[i] > 0 ? 1 : 0) } : g
            let expected = Self.reference(x, k, gu, start: start, b: b, t: t, c: c, radius: 1).gx
            var gx = [Float](repeating: .nan, count: rows * c), sum = [Float](repeating: 0, count: c)
            var ring = [Float](repeating: .nan, count: 3 * c)
            keep.withUnsafeBufferPointer { pkeep in
                ck_band_transpose_columns_level(level, g, k, zero, t, c, rows, 5, 18, y, withKeep ? pkeep.baseAddress : nil, scale,
                                                &ring, &gx, &sum)
            }
            for row in 0..<rows {
                #expect(Array(gx[(row * c + 5)..<(row * c + 18)]) == Array(expected[(row * c + 5)..<(row * c + 18)]),
                        "transpose row \(row), level \(level), keep \(withKeep)")
            }
            let sums = (0..<c).map { j in (5..<18).contains(j) ? (0..<rows).reduce(Float(0)) { $0 + gu[$1 * c + j] } : 0 }
            #expect(sum == sums, "bias sums, level \(level), keep \(withKeep)")
        }
    }

    @Test(arguments: [(3, 1_500, 40, 1), (2, 700, 33, 2), (1, 1, 24, 1), (4, 1_200, 1, 1)])
    func matchesTheBandBitForBit(_ shape: (Int, Int, Int, Int)) {
        Threading.withCount(2) {
            let (b, t, c, radius) = shape
            let width = 2 * radius + 1
            var coefficients = uniformTensor([b, t, width], 0.1, 1, seed: 40).values
            for i in stride(from: 0, to: coefficients.count, by: 7) { coefficients[i] = 0 }
            let k = Tensor(coefficients, shape: [b, t, width])
            for withBias in [false, true] {
                let x = randomTensor([b, t, c], seed: 41)
                let bias = randomTensor([c], seed: 42)
                x.requiresGrad = true
                bias.requiresGrad = true
                let out = x.bandAggregate(coefficients: k, radius: radius, bias: withBias ? bias : nil)
                let g = randomTensor([b, t, c], seed: 43)
                out.backward(seed: g)
                let expected = Self.reference(x.values, coefficients, g.values, start: withBias ? bias.values : Array(repeating: 0, count: c),
                                              b: b, t: t, c: c, radius: radius)
                #expect(mismatches(out.values, expected.out).none, "forward, \(shape), bias \(withBias)")
                #expect(mismatches(x.grad!.values, expected.gx).none, "input gradient, \(shape), bias \(withBias)")
                if withBias {
                    let gv = g.values
                    let columnSums = (0..<c).map { j in (0..<(b * t)).reduce(Float(0)) { $0 + gv[$1 * c + j] } }
                    // One row is copied; one column summed in double precision (reducedGradient's paths).
                    let oneColumn = [Float(gv.reduce(0.0) { $0 + Double($1) })]
                    #expect(mismatches(bias.grad!.values, b * t == 1 ? gv : c == 1 ? oneColumn : columnSums).none, "bias gradient, \(shape)")
                } else {
                    #expect(bias.grad == nil)
                }
            }
        }
    }
}

extension Array where Element == [Float] {
    /// Pointers to every row's storage, valid inside `body`.
    func withUnsafeBufferPointers<R>(_ body: ([UnsafePointer<Float>]) -> R) -> R {
        func nest(_ index: Int, _ pointers: [UnsafePointer<Float>]) -> R {
            guard index < count else { return body(pointers) }
            return self[index].withUnsafeBufferPointer { nest(index + 1, pointers + [$0.baseAddress!]) }
        }
        return nest(0, [])
    }
}
