import Testing
@testable import TensorCore

/// The ops EDSNet's anchor-based detector adds: 1-d average pooling, smooth-L1, row gathers, the
/// depthwise temporal convolution and Nystrom attention (a composite, checked as a whole).
@Suite("Detector ops")
struct DetectorOpsTests {
    /// Direct evaluation of PyTorch's AvgPool1d rule on (outer, L, inner).
    static func pooled(_ x: [Float], outer: Int, length: Int, inner: Int, kernel: Int, stride: Int, padding: Int,
                       countIncludePad: Bool) -> [Float] {
        let outLength = (length + 2 * padding - kernel) / stride + 1
        var out: [Float] = []
        for b in 0..<outer { for o in 0..<outLength { for i in 0..<inner {
            let start = o * stride - padding, end = Swift.min(start + kernel, length + padding)
            var s: Float = 0, real = 0
            for j in start..<end where j >= 0 && j < length { s += x[(b * length + j) * inner + i]; real += 1 }
            out.append(s / Float(countIncludePad ? end - start : real))
        } } }
        return out
    }

    @Test(arguments: [(4, 1, 2, true), (12, 1, 6, true), (3, 2, 1, true), (5, 2, 2, false), (2, 1, 0, true)])
    func averagePooling(_ kernel: Int, _ stride: Int, _ padding: Int, _ countIncludePad: Bool) {
        let x = randomTensor([2, 9, 3], seed: UInt64(kernel * 10 + stride))
        let y = x.avgPool1d(axis: 1, kernel: kernel, stride: stride, padding: padding, countIncludePad: countIncludePad)
        let expected = Self.pooled(x.values, outer: 2, length: 9, inner: 3, kernel: kernel, stride: stride,
                                   padding: padding, countIncludePad: countIncludePad)
        #expect(y.shape == [2, (9 + 2 * padding - kernel) / stride + 1, 3])
        #expect(zip(y.values, expected).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
        checkGradients([x]) {
            $0[0].avgPool1d(axis: 1, kernel: kernel, stride: stride, padding: padding, countIncludePad: countIncludePad)
        }
        // PyTorch's (N, C, L) layout: the last axis.
        checkGradients([randomTensor([2, 3, 7], seed: 9)]) {
            $0[0].avgPool1d(axis: -1, kernel: kernel, stride: stride, padding: Swift.min(padding, kernel / 2),
                            countIncludePad: countIncludePad)
        }
    }

    /// With count_include_pad the edge windows divide by the kernel, not by the frames they hold.
    @Test func countIncludePadDividesByTheKernelAtTheEdges() {
        let y = Tensor([1, 1, 1, 1, 1, 1], shape: [6, 1]).avgPool1d(axis: 0, kernel: 4, padding: 2).values
        #expect(y == [0.5, 0.75, 1, 1, 1, 0.75, 0.5])
    }

    @Test func smoothL1() {
        let prediction = Tensor([0.2, -0.4, 2.5, -3, 0.9, 1.6], shape: [3, 2])
        let target = Tensor([0, 0, 0, 0, 0, 0.1], shape: [3, 2])
        let expected: Float = (0.5 * 0.04 + 0.5 * 0.16 + 2.0 + 2.5 + 0.5 * 0.81 + 1.0) / 6
        #expect(Swift.abs(Tensor.smoothL1Loss(prediction, target).item - expected) < 1e-6)
        // Away from the kink at |d| = beta.
        let p = awayFromZero([4, 2], seed: 5) * 1.7
        checkGradients([p, randomTensor([4, 2], seed: 6, scale: 0.05)], step: 1e-3) { Tensor.smoothL1Loss($0[0], $0[1]) }
        checkGradients([randomTensor([5], seed: 7)], step: 1e-3) { Tensor.smoothL1Loss($0[0], Tensor(zeros: [5]), beta: 0.5) }
        #expect(Tensor.smoothL1Loss(Tensor(zeros: [0]), Tensor(zeros: [0])).item.isNaN)
    }

    @Test func gatherRowsWithRepeatsAndZeroRows() {
        let x = randomTensor([4, 3], seed: 8)
        let y = x.gatherRows([2, -1, 0, 2, 3])
        #expect(y.shape == [5, 3])
        #expect(Array(y.values[0..<3]) == Array(x.values[6..<9]))
        #expect(Array(y.values[3..<6]) == [0, 0, 0])
        checkGradients([x]) { $0[0].gatherRows([2, -1, 0, 2, 3, 2]) }
        checkGradients([randomTensor([6], seed: 9)]) { $0[0].gatherRows([5, 1, 1]) }
    }

    static func depthwise(_ x: [Float], _ w: [Float], b: Int, h: Int, n: Int, d: Int, k: Int) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        let p = k / 2
        for bb in 0..<b { for hh in 0..<h { for t in 0..<n { for c in 0..<d {
            var s: Float = 0
            for j in 0..<k where t + j - p >= 0 && t + j - p < n { s += w[hh * k + j] * x[((bb * h + hh) * n + t + j - p) * d + c] }
            out[((bb * h + hh) * n + t) * d + c] = s
        } } } }
        return out
    }

    @Test func depthwiseTemporalConvolution() {
        let x = randomTensor([2, 3, 6, 2], seed: 10), w = randomTensor([3, 1, 5, 1], seed: 11)
        let y = x.depthwiseTemporalConv(weight: w, padding: 2)
        let expected = Self.depthwise(x.values, w.values, b: 2, h: 3, n: 6, d: 2, k: 5)
        #expect(zip(y.values, expected).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
        checkGradients([x, w]) { $0[0].depthwiseTemporalConv(weight: $0[1], padding: 2) }
        // A kernel longer than the sequence (Nystrom's 33 taps on a short padded video).
        checkGradients([randomTensor([1, 2, 3, 2], seed: 12), randomTensor([2, 1, 7, 1], seed: 13)]) {
            $0[0].depthwiseTemporalConv(weight: $0[1], padding: 3)
        }
        let (_, flops) = Accounting.countingFlops { _ = GradMode.withNoGrad { x.depthwiseTemporalConv(weight: w, padding: 2) } }
        #expect(flops == Int64(2 * 2 * 3 * 2 * Tensor.depthwiseTemporalConvTaps(length: 6, kernel: 5, padding: 2)))
        #expect(Tensor.depthwiseTemporalConvTaps(length: 6, kernel: 5, padding: 2) == 6 * 5 - 2 * (1 + 2))
    }

    /// The initial scale 1 / (max row sum x max column sum) is taken over all heads at once.
    @Test func pseudoInverseInitialScaleSpansAllHeads() {
        // Head 0 has row sums 1 and column sums up to 1.5; head 1 is scaled by 2 (row sums 2, column sums up to 2.4).
        let head0: [Float] = [0.5, 0.5, 1.0, 0.0], head1: [Float] = [1.2, 0.8, 1.2, 0.8]
        let x = Tensor(head0 + head1, shape: [2, 2, 2])
        let z0 = NystromAttention.iterativePseudoInverse(x, iterations: 0).values
        let scale: Float = 1 / (2 * 2.4)
        let expected = [0.5, 1.0, 0.5, 0.0, 1.2, 1.2, 0.8, 0.8].map { Float($0) * scale }
        #expect(zip(z0, expected).allSatisfy { Swift.abs($0 - $1) < 1e-6 }, "\(z0)")
        // Enough iterations converge to the inverse of a well-conditioned softmax matrix.
        let a = randomTensor([3, 5, 5], seed: 14, scale: 0.5).softmax(axis: -1)
        let inverse = NystromAttention.iterativePseudoInverse(a, iterations: 30)
        let product = a.matmul(inverse).values
        for h in 0..<3 { for i in 0..<5 { for j in 0..<5 {
            #expect(Swift.abs(product[(h * 5 + i) * 5 + j] - (i == j ? 1 : 0)) < 1e-3)
        } } }
    }

    /// The whole Nystrom layer, every parameter and the input, by finite differences: with front padding
    /// (n = 6, 4 landmarks -> 2 zero rows) and without (n = 8).
    @Test(arguments: [6, 8, 3])
    func nystromAttentionGradient(_ n: Int) {
        let layer = NystromAttention(dim: 6, heads: 2, headDim: 3, landmarks: 4, pinvIterations: 6, residualKernel: 5,
                                     rng: RandomSource(seed: 15))
        let x = randomTensor([n, 6], seed: UInt64(16 + n))
        let parameters = layer.parameters()
        checkGradients([x] + parameters, step: 5e-3, atol: 3e-3, rtol: 2e-2) { _ in layer(x) }
        #expect(layer(x).shape == [n, 6])
        #expect(layer.frontPadding(n) == (4 - n % 4) % 4)
    }
}
