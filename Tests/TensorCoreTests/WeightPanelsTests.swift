import CKernels
import Testing
@testable import TensorCore
import TestSupport

/// The panel kernel behind products against weights in a scoring pass (`WeightPanels`): every element
/// the sequence of fused multiply-adds its definition says (checked bit for bit against a scalar loop,
/// and against a double-precision product), the same bits for a row wherever it sits, and used exactly
/// where it should be (a scoring pass, no gradients, a parameter), with weights packed per pass.
@Suite("Weight panels") struct WeightPanelsTests {
    /// Element (i, j): fused multiply-adds over k in order, from zero (from C when accumulating).
    static func definition(m: Int, n: Int, k: Int, a: [Float], lda: Int, b: [Float], ldb: Int, transB: Bool,
                           c: [Float], ldc: Int, accumulate: Bool) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = accumulate ? c[i * ldc + j] : 0
                for p in 0..<k { acc = acc.addingProduct(a[i * lda + p], transB ? b[j * ldb + p] : b[p * ldb + j]) }
                out[i * ldc + j] = acc
            }
        }
        return out
    }

    /// ck_pack_panels then ck_panel_gemm over rows [first, last) of C.
    static func kernel(m: Int, n: Int, k: Int, a: [Float], lda: Int, b: [Float], ldb: Int, transB: Bool,
                       c: [Float], ldc: Int, accumulate: Bool, rows: [Range<Int>]) -> [Float] {
        let panels = UnsafeMutableRawPointer.allocate(byteCount: (n + 63) / 64 * 64 * k * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: (n + 63) / 64 * 64 * k)
        defer { panels.deallocate() }
        var out = c
        b.withUnsafeBufferPointer { ck_pack_panels(n, k, $0.baseAddress!, ldb, transB ? 1 : 0, panels) }
        a.withUnsafeBufferPointer { pa in
            out.withUnsafeMutableBufferPointer { pc in
                for range in rows {
                    ck_panel_gemm(range.lowerBound, range.upperBound, n, k, pa.baseAddress!, lda, panels, pc.baseAddress!, ldc,
                                  accumulate ? 1 : 0)
                }
            }
        }
        return out
    }

    static func values(_ count: Int, seed: UInt64) -> [Float] { randomTensor([count], seed: seed).values }

    /// Widths around the 64-column panels and the 6-row blocks, strided rows of A and C, both B layouts.
    @Test(arguments: [false, true]) func everyElementIsItsDefinitionBitForBit(transB: Bool) throws {
        try #require(ck_kernel_level() >= 2, "the panel kernel needs AVX-512")
        // k beyond one 256-deep block, and rows beyond one chunk (510 rows).
        for (m, n, k) in [(1, 1, 1), (5, 17, 3), (6, 64, 64), (7, 65, 100), (13, 130, 33), (20, 1, 32), (12, 200, 7),
                          (9, 70, 600), (520, 3, 300)] {
            let (lda, ldb, ldc) = (k + 3, (transB ? k : n) + 2, n + 5)
            let a = Self.values(m * lda, seed: UInt64(m)), b = Self.values((transB ? n : k) * ldb, seed: UInt64(n))
            let c = Self.values(m * ldc, seed: 9)
            for accumulate in [false, true] {
                let expected = Self.definition(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, transB: transB, c: c, ldc: ldc,
                                               accumulate: accumulate)
                let got = Self.kernel(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, transB: transB, c: c, ldc: ldc,
                                      accumulate: accumulate, rows: [0..<m])
                let moved = (0..<got.count).filter { got[$0].bitPattern != expected[$0].bitPattern }
                #expect(moved.isEmpty, "m \(m) n \(n) k \(k) accumulate \(accumulate): \(moved.count) values differ (first \(moved.first ?? -1)), columns beyond n included")
                // And the definition itself is the product: against double precision, within the error bound
                // of k + 1 rounded operations, (k + 1) u times the sum of the terms' magnitudes.
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = accumulate ? Double(c[i * ldc + j]) : 0, magnitude = abs(sum)
                        for p in 0..<k {
                            let term = Double(a[i * lda + p]) * Double(transB ? b[j * ldb + p] : b[p * ldb + j])
                            sum += term
                            magnitude += abs(term)
                        }
                        #expect(abs(Double(got[i * ldc + j]) - sum) <= Double(k + 1) * 0x1p-24 * magnitude + 1e-30)
                    }
                }
            }
        }
    }

    /// A block of rows multiplied alone, inside a larger matrix, or with the rows split anywhere (as
    /// threads split them): the same bits.
    @Test func aRowsBitsDoNotDependOnTheRowsAroundIt() throws {
        try #require(ck_kernel_level() >= 2, "the panel kernel needs AVX-512")
        let (n, k, total) = (130, 96, 300)
        let a = Self.values(total * k, seed: 1), b = Self.values(n * k, seed: 2), c = [Float](repeating: 0, count: total * n)
        let whole = Self.kernel(m: total, n: n, k: k, a: a, lda: k, b: b, ldb: k, transB: true, c: c, ldc: n, accumulate: false,
                                rows: [0..<total])
        let split = Self.kernel(m: total, n: n, k: k, a: a, lda: k, b: b, ldb: k, transB: true, c: c, ldc: n, accumulate: false,
                                rows: [0..<7, 7..<100, 100..<101, 101..<total])
        #expect(mismatches(whole, split).none)
        for (start, m) in [(0, 1), (13, 147), (101, 199)] {
            let part = Array(a[(start * k)..<((start + m) * k)])
            let alone = Self.kernel(m: m, n: n, k: k, a: part, lda: k, b: b, ldb: k, transB: true,
                                    c: [Float](repeating: 0, count: m * n), ldc: n, accumulate: false, rows: [0..<m])
            #expect(alone.elementsEqual(whole[(start * n)..<((start + m) * n)]) { $0.bitPattern == $1.bitPattern }, "rows \(start)..<\(start + m)")
        }
    }

    /// Inside a scoring pass, with gradients off, a Linear's product against its (parameter) weight is
    /// the panel kernel's; with gradients on, outside a pass, or against a tensor that is not a
    /// parameter, it is OpenBLAS's. The shape is one where the two round differently (checked).
    @Test func thePassUsesPanelsForParametersOnly() throws {
        try #require(ck_kernel_level() >= 2, "the panel kernel needs AVX-512")
        // OpenBLAS products are compared across calls, and their bits can depend on its thread count
        // (its generic kernel's do): the count is held so no other test changes it between them.
        try Threading.withCount(2) {
            let (m, n, k) = (40, 70, 1000)
            let x = randomTensor([m, k], seed: 3)
            let weight = Initializer.parameter(randomTensor([n, k], seed: 4)), bias = Initializer.parameter(randomTensor([n], seed: 5))
            let panels = Self.definition(m: m, n: n, k: k, a: x.values, lda: k, b: weight.values, ldb: k, transB: true,
                                         c: (0..<m).flatMap { _ in bias.values }, ldc: n, accumulate: true)
            let openBLAS = GradMode.withNoGrad { x.linear(weight: weight, bias: bias) }.values
            try #require(openBLAS != panels, "OpenBLAS rounds this product as the panel kernel does: the test would not tell them apart")
            let scored = WeightPanels.scoring { GradMode.withNoGrad { x.linear(weight: weight, bias: bias) } }.values
            #expect(mismatches(scored, panels).none)
            #expect(mismatches(WeightPanels.scoring { x.linear(weight: weight, bias: bias) }.values, openBLAS).none, "with gradients on")
            let plain = Tensor(weight.values, shape: weight.shape)
            #expect(mismatches(WeightPanels.scoring { GradMode.withNoGrad { x.linear(weight: plain, bias: bias) } }.values, openBLAS).none,
                    "not a parameter")
            // matmul against a parameter, as stored (a graph layer's x W).
            let square = Initializer.parameter(randomTensor([k, n], seed: 6))
            let product = WeightPanels.scoring { GradMode.withNoGrad { x.matmul(square) } }.values
            #expect(product == Self.definition(m: m, n: n, k: k, a: x.values, lda: k, b: square.values, ldb: n, transB: false,
                                               c: [Float](repeating: 0, count: m * n), ldc: n, accumulate: false))
        }
    }

    /// Panels live for one pass: a weight changed between passes (an optimizer step) is packed again.
    @Test func aNewPassSeesChangedWeights() throws {
        try #require(ck_kernel_level() >= 2, "the panel kernel needs AVX-512")
        let x = randomTensor([10, 20], seed: 7), weight = Initializer.parameter(randomTensor([30, 20], seed: 8))
        let before = WeightPanels.scoring { GradMode.withNoGrad { x.linear(weight: weight, bias: nil) } }.values
        weight.storage.pointer[0] += 1
        let after = WeightPanels.scoring { GradMode.withNoGrad { x.linear(weight: weight, bias: nil) } }.values
        let expected = Self.definition(m: 10, n: 30, k: 20, a: x.values, lda: 20, b: weight.values, ldb: 20, transB: true,
                                       c: [Float](repeating: 0, count: 300), ldc: 30, accumulate: false)
        #expect(after == expected && after != before)
    }

    /// In a training step, products against parameters over `trainingRows` rows or more run in the kernel,
    /// forward (x Wᵀ + b) and backward (the input gradient g W); smaller ones and the weight gradient stay
    /// OpenBLAS's.
    @Test func aTrainingStepUsesPanelsForItsLargeProductsOnly() throws {
        try #require(ck_kernel_level() >= 2, "the panel kernel needs AVX-512")
        // OpenBLAS products are compared across calls, and their bits can depend on its thread count
        // (its generic kernel's do): the count is held so no other test changes it between them.
        try Threading.withCount(2) {
            let (k, n) = (40, 24)
            let weight = Initializer.parameter(randomTensor([n, k], seed: 11)), bias = Initializer.parameter(randomTensor([n], seed: 12))
            for rows in [WeightPanels.trainingRows - 1, WeightPanels.trainingRows] {
                let x = randomTensor([rows, k], seed: 13), g = randomTensor([rows, n], seed: 14)
                let large = rows >= WeightPanels.trainingRows
                let openBLAS = GradMode.withNoGrad { x.linear(weight: weight, bias: bias) }.values
                let panels = Self.definition(m: rows, n: n, k: k, a: x.values, lda: k, b: weight.values, ldb: k, transB: true,
                                             c: (0..<rows).flatMap { _ in bias.values }, ldc: n, accumulate: true)
                try #require(openBLAS != panels, "OpenBLAS rounds this product as the panel kernel does: the test would not tell them apart")
                x.requiresGrad = true
                let (plainInput, plainWeight): ([Float], [Float]) = {
                    x.linear(weight: weight, bias: bias).backward(seed: g)
                    defer { x.grad = nil; weight.grad = nil; bias.grad = nil }
                    return (x.grad!.values, weight.grad!.values)
                }()
                let forward = WeightPanels.training { () -> [Float] in
                    let y = x.linear(weight: weight, bias: bias)
                    y.backward(seed: g)
                    return y.values
                }
                #expect(mismatches(forward, large ? panels : openBLAS).none, "\(rows) rows: forward")
                let inputGradient = Self.definition(m: rows, n: k, k: n, a: g.values, lda: n, b: weight.values, ldb: k, transB: false,
                                                    c: [Float](repeating: 0, count: rows * k), ldc: k, accumulate: false)
                #expect(mismatches(x.grad!.values, large ? inputGradient : plainInput).none, "\(rows) rows: input gradient")
                #expect(mismatches(weight.grad!.values, plainWeight).none, "\(rows) rows: the weight gradient is OpenBLAS's")
                x.grad = nil; weight.grad = nil; bias.grad = nil
            }
        }
    }
}
