import CKernels
import Testing
@testable import TensorCore
import TestSupport

/// The fused channel mean of a batch-normalised column convolution against the same computation done by
/// the separate ops (conv2d, batchNorm, mean over channels), which are themselves checked against PyTorch
/// and finite differences; and against finite differences directly.
@Suite("Column conv + batch norm + channel mean") struct ConvBatchNormMeanTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let input: [Int], outChannels: Int, kernel: Int, padding: Int
        var testDescription: String { "x\(input) o\(outChannels) k\(kernel) p\(padding)" }
    }
    static let cases: [Case] = [
        Case(input: [2, 3, 7, 4], outChannels: 5, kernel: 3, padding: 1),
        Case(input: [3, 2, 9, 3], outChannels: 4, kernel: 5, padding: 2),
        Case(input: [2, 2, 4, 3], outChannels: 3, kernel: 5, padding: 2),    // shorter than the kernel's reach
        Case(input: [2, 3, 6, 2], outChannels: 4, kernel: 3, padding: 0),    // no padding: output shorter
        Case(input: [1, 2, 5, 3], outChannels: 3, kernel: 1, padding: 0),
    ]

    private struct Parameters {
        let x, weight, bias, gamma, beta: Tensor
        init(_ c: Case, seed: UInt64) {
            // Input with a channel-dependent offset, as after a GELU, so the centring matters.
            x = randomTensor(c.input, seed: seed) + uniformTensor([1, c.input[1], 1, 1], 0.2, 1.0, seed: seed + 1)
            weight = randomTensor([c.outChannels, c.input[1], c.kernel, 1], seed: seed + 2, scale: 0.5)
            bias = randomTensor([c.outChannels], seed: seed + 3)
            gamma = uniformTensor([c.outChannels], 0.5, 1.5, seed: seed + 4)
            beta = randomTensor([c.outChannels], seed: seed + 5)
        }
        var all: [Tensor] { [x, weight, bias, gamma, beta] }
    }

    private static func composed(_ p: [Tensor], _ c: Case, rm: Tensor, rv: Tensor, training: Bool) -> Tensor {
        p[0].conv2d(weight: p[1], bias: p[2], padding: (c.padding, 0))
            .batchNorm(weight: p[3], bias: p[4], runningMean: rm, runningVar: rv, training: training)
            .mean(axis: 1)
    }

    private static func fused(_ p: [Tensor], _ c: Case, rm: Tensor, rv: Tensor, training: Bool) -> Tensor {
        p[0].columnConvBatchNormChannelMean(weight: p[1], bias: p[2], padding: c.padding, bnWeight: p[3], bnBias: p[4],
                                            runningMean: rm, runningVar: rv, training: training)
    }

    @Test(arguments: cases, [true, false]) func matchesTheComposedOps(_ c: Case, training: Bool) {
        let p = Parameters(c, seed: 40)
        let stats = { (Tensor(uniformTensor([c.outChannels], -0.5, 0.5, seed: 9).values, shape: [c.outChannels]),
                       Tensor(uniformTensor([c.outChannels], 0.5, 2.0, seed: 10).values, shape: [c.outChannels])) }
        let (rmA, rvA) = stats(), (rmB, rvB) = stats()

        func run(_ f: ([Tensor]) -> Tensor) -> (out: [Float], grads: [[Float]]) {
            for t in p.all { t.requiresGrad = true; t.grad = nil }
            let y = f(p.all)
            y.backward(seed: uniformTensor(y.shape, -1, 1, seed: 77))
            defer { for t in p.all { t.requiresGrad = false; t.grad = nil } }
            return (y.values, p.all.map { $0.grad?.values ?? [] })
        }
        let expected = run { Self.composed($0, c, rm: rmA, rv: rvA, training: training) }
        let actual = run { Self.fused($0, c, rm: rmB, rv: rvB, training: training) }
        #expect(actual.out.count == expected.out.count)
        #expect(maxAbsDifference(actual.out, expected.out) <= 1e-4, "values")
        // The conv bias gradient is zero in exact arithmetic (batch norm removes the bias): the composed ops
        // leave round-off there, so each tensor's scale is floored at 1e-2 of the largest gradient.
        let largest = expected.grads.flatMap { $0 }.map(abs).max() ?? 0
        for (k, name) in ["x", "weight", "bias", "bn weight", "bn bias"].enumerated() {
            let scale = Swift.max(expected.grads[k].map(abs).max() ?? 0, 1e-2 * largest)
            #expect(maxAbsDifference(actual.grads[k], expected.grads[k]) <= 1e-4 * scale + 1e-6, "gradient of \(name)")
        }
        #expect(maxAbsDifference(rmB.values, rmA.values) <= 1e-5, "running mean")
        #expect(maxAbsDifference(rvB.values, rvA.values) <= 1e-4, "running variance")
    }

    @Test(arguments: [cases[0], cases[1]]) func finiteDifferences(_ c: Case) {
        let p = Parameters(c, seed: 60)
        let rm = Tensor(zeros: [c.outChannels]), rv = Tensor(repeating: 1, shape: [c.outChannels])
        checkGradients(p.all, step: 1e-2, atol: 3e-3, rtol: 2e-2) { Self.fused($0, c, rm: rm, rv: rv, training: true) }
        checkGradients(p.all, step: 1e-2, atol: 3e-3, rtol: 2e-2) { Self.fused($0, c, rm: rm, rv: rv, training: false) }
    }
}

/// The channels-last temporal convolution against conv1d on the transposed tensor, and finite differences.
@Suite("Channels-last 1-D convolution") struct TemporalConvolutionTests {
    @Test(arguments: [([2, 7, 3], [4, 3, 3], 1), ([3, 5, 2], [3, 2, 5], 2), ([1, 6, 4], [2, 4, 3], 0), ([2, 3, 2], [2, 2, 5], 2)])
    func matchesConv1dOnTheTransposedInput(_ input: [Int], _ weightShape: [Int], _ padding: Int) {
        let x = randomTensor(input, seed: 3), w = randomTensor(weightShape, seed: 4), b = randomTensor([weightShape[0]], seed: 5)
        let inputs = [x, w, b]
        func run(_ f: ([Tensor]) -> Tensor) -> [[Float]] {
            for t in inputs { t.requiresGrad = true; t.grad = nil }
            let y = f(inputs)
            y.backward(seed: uniformTensor(y.shape, -1, 1, seed: 6))
            defer { for t in inputs { t.requiresGrad = false; t.grad = nil } }
            return [y.values] + inputs.map { $0.grad!.values }
        }
        let expected = run { $0[0].permuted([0, 2, 1]).conv1d(weight: $0[1], bias: $0[2], padding: padding).permuted([0, 2, 1]) }
        let actual = run { $0[0].conv1dChannelsLast(weight: $0[1], bias: $0[2], padding: padding) }
        for (a, e) in zip(actual, expected) {
            #expect(a.count == e.count)
            #expect(maxAbsDifference(a, e) <= 1e-5 * Swift.max(1, e.map(abs).max() ?? 0))
        }
        checkGradients(inputs) { $0[0].conv1dChannelsLast(weight: $0[1], bias: $0[2], padding: padding) }
    }

    /// The weight regrouped by tap, and back, is the permutation [0, 2, 1] (the vectorised K = 3 loop too).
    @Test(arguments: [1, 3, 5]) func tapRegroupingIsThePermutation(_ k: Int) {
        let (o, c) = (7, 37)
        let w = randomTensor([o, c, k], seed: UInt64(k))
        var rows = [Float](repeating: .nan, count: w.count), back = [Float](repeating: .nan, count: w.count)
        w.withUnsafeBuffer { ck_taps_to_rows($0.baseAddress!, &rows, o, c, k) }
        #expect(rows == w.permuted([0, 2, 1]).values)
        ck_rows_to_taps(rows, &back, o, c, k)
        #expect(back == w.values)
    }
}
