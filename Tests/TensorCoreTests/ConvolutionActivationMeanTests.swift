import Testing
@testable import TensorCore
import TestSupport

/// The convolution + batch norm + activation + last-axis mean op against the two ops it fuses (conv2d, then
/// batchNormActivationDropoutMean, each checked against PyTorch and finite differences elsewhere): in
/// evaluation its block-by-block Winograd path gives the same bits; whenever a gradient, batch statistics
/// or dropout are involved it is the two ops, gradients, running statistics and dropout draws included.
@Suite("Conv + batch norm + activation + mean") struct ConvolutionActivationMeanTests {
    /// A 3x3 convolution's shape, as the Winograd tests describe theirs.
    typealias Case = WinogradConvolutionTests.Case
    static let cases: [Case] = [
        Case(n: 1, c: 16, o: 24, h: 7, w: 9, padH: 1, padW: 1),       // odd height and width: half tiles at both edges
        Case(n: 2, c: 16, o: 16, h: 10, w: 128, padH: 1, padW: 1),    // two images, two blocks of three tile rows
        Case(n: 1, c: 16, o: 17, h: 13, w: 20, padH: 0, padW: 2),     // other paddings
        Case(n: 1, c: 20, o: 16, h: 9, w: 11, padH: 2, padW: 0),
        Case(n: 1, c: 16, o: 16, h: 5, w: 1030, padH: 1, padW: 1),    // rows longer than one sum chunk, blocks of one tile row
        Case(n: 2, c: 32, o: 128, h: 33, w: 128, padH: 1, padW: 1),   // CSTA small's conv3, an odd number of frames
    ]

    private struct Parameters {
        let x, weight, bias, gamma, beta, runningMean, runningVar: Tensor
        init(_ k: Case, seed: UInt64) {
            x = randomTensor([k.n, k.c, k.h, k.w], seed: seed)
            weight = randomTensor([k.o, k.c, 3, 3], seed: seed + 1, scale: 0.2)
            bias = randomTensor([k.o], seed: seed + 2, scale: 0.3)
            gamma = uniformTensor([k.o], 0.5, 1.5, seed: seed + 3)
            beta = randomTensor([k.o], seed: seed + 4, scale: 0.3)
            runningMean = uniformTensor([k.o], -0.3, 0.3, seed: seed + 5)
            runningVar = uniformTensor([k.o], 0.5, 2.0, seed: seed + 6)
        }
        var learned: [Tensor] { [x, weight, bias, gamma, beta] }

        func separate(_ k: Case, training: Bool, activation: NormActivation, dropout: Float, dropoutTraining: Bool,
                      runningMean rm: Tensor, runningVar rv: Tensor) -> Tensor {
            x.conv2d(weight: weight, bias: bias, padding: (k.padH, k.padW))
                .batchNormActivationDropoutMean(weight: gamma, bias: beta, runningMean: rm, runningVar: rv, training: training,
                                                activation: activation, dropout: dropout, dropoutTraining: dropoutTraining,
                                                rng: RandomSource(seed: 31))
        }

        func fused(_ k: Case, training: Bool, activation: NormActivation, dropout: Float, dropoutTraining: Bool,
                   runningMean rm: Tensor, runningVar rv: Tensor) -> Tensor {
            x.conv2dBatchNormActivationDropoutMean(weight: weight, bias: bias, padding: (k.padH, k.padW), bnWeight: gamma,
                                                   bnBias: beta, runningMean: rm, runningVar: rv, training: training,
                                                   activation: activation, dropout: dropout, dropoutTraining: dropoutTraining,
                                                   rng: RandomSource(seed: 31))
        }
    }

    private static func bits(_ t: Tensor) -> [UInt32] { t.values.map(\.bitPattern) }

    /// Evaluation without gradients: the block-by-block path, bit for bit the separate ops (also with
    /// parameters that require gradients while none are recorded, and with dropout in evaluation mode).
    @Test(arguments: cases, [NormActivation.relu, .gelu, .identity])
    func evaluationGivesTheSameBits(_ k: Case, activation: NormActivation) {
        #expect(WinogradGeometry.forward(k.geometry) != nil, "the case must take the Winograd path")
        let p = Parameters(k, seed: 50)
        let expected = GradMode.withNoGrad {
            p.separate(k, training: false, activation: activation, dropout: 0.5, dropoutTraining: false,
                       runningMean: p.runningMean, runningVar: p.runningVar)
        }
        #expect(expected.shape == [k.n, k.o, k.geometry.outH])
        let (actual, flops) = Accounting.countingFlops {
            GradMode.withNoGrad {
                p.fused(k, training: false, activation: activation, dropout: 0.5, dropoutTraining: false,
                        runningMean: p.runningMean, runningVar: p.runningVar)
            }
        }
        #expect(actual.shape == expected.shape)
        #expect(Self.bits(actual) == Self.bits(expected))
        // It ran the Winograd products (not the direct convolution), and nothing else that counts.
        let g = k.geometry
        #expect(flops == Int64(2 * 16 * k.n * ((g.outH + 1) / 2) * ((g.outW + 1) / 2) * k.o * k.c))

        for t in p.learned { t.requiresGrad = true }
        defer { for t in p.learned { t.requiresGrad = false } }
        let withParameters = GradMode.withNoGrad {
            p.fused(k, training: false, activation: activation, dropout: 0, dropoutTraining: true,
                    runningMean: p.runningMean, runningVar: p.runningVar)
        }
        #expect(Self.bits(withParameters) == Self.bits(expected))
    }

    /// The row means straight from the kernel (no op around it): the same bits as the separate ops, so the
    /// equality above is the fused path's and not a fallback's.
    @Test(arguments: [cases[0], cases[1], cases[4]]) func rowMeansKernelGivesTheSameBits(_ k: Case) throws {
        let g = k.geometry
        let wg = try #require(WinogradGeometry.forward(g))
        let p = Parameters(k, seed: 70)
        let expected = GradMode.withNoGrad {
            p.separate(k, training: false, activation: .relu, dropout: 0, dropoutTraining: false,
                       runningMean: p.runningMean, runningVar: p.runningVar)
        }
        let stats = p.x.batchNormStatistics(ChannelLayout(outer: k.n, channels: k.o, inner: g.outH * g.outW), weight: p.gamma,
                                            bias: p.beta, runningMean: p.runningMean, runningVar: p.runningVar,
                                            training: false, momentum: 0.1, eps: 1e-5)
        let affine = (0..<k.o).map(stats.affine)
        var means = [Float](repeating: .nan, count: k.n * k.o * g.outH)
        means.withUnsafeMutableBufferPointer { out in
            forEachWinogradImage(p.weight, g, wg) { n, u, v, m in
                winogradConvolutionRowMeans(ReluFunction.self, p.x.storage.pointer + n * k.c * k.h * k.w, u,
                                            bias: p.bias.storage.pointer, scale: affine.map(\.a), shift: affine.map(\.b),
                                            out.baseAddress! + n * k.o * g.outH, wg, v: v, m: m)
            }
        }
        #expect(mismatches(means.map(\.bitPattern), Self.bits(expected)).none)
    }

    /// Recording a gradient, training (batch statistics) or drawing dropout: the separate ops, so values,
    /// every gradient, the running statistics and the random stream are theirs exactly.
    @Test(arguments: [(true, true, true), (true, false, false), (false, true, false), (false, false, true), (false, true, true)])
    func withGradientsItIsTheSeparateOps(_ modes: (training: Bool, dropoutTraining: Bool, recording: Bool)) {
        let k = Self.cases[0]
        let p = Parameters(k, seed: 90)
        func run(_ f: (Tensor, Tensor) -> Tensor) -> (out: [UInt32], grads: [[UInt32]], stats: [UInt32]) {
            let rm = Tensor(p.runningMean.values, shape: [k.o]), rv = Tensor(p.runningVar.values, shape: [k.o])
            for t in p.learned { t.requiresGrad = modes.recording; t.grad = nil }
            defer { for t in p.learned { t.requiresGrad = false; t.grad = nil } }
            let y = f(rm, rv)
            if modes.recording { y.backward(seed: uniformTensor(y.shape, -1, 1, seed: 91)) }
            return (Self.bits(y), p.learned.map { $0.grad.map(Self.bits) ?? [] }, Self.bits(rm) + Self.bits(rv))
        }
        let expected = run {
            p.separate(k, training: modes.training, activation: .relu, dropout: 0.3, dropoutTraining: modes.dropoutTraining,
                       runningMean: $0, runningVar: $1)
        }
        let actual = run {
            p.fused(k, training: modes.training, activation: .relu, dropout: 0.3, dropoutTraining: modes.dropoutTraining,
                    runningMean: $0, runningVar: $1)
        }
        #expect(actual.out == expected.out)
        #expect(actual.stats == expected.stats)
        #expect(actual.grads == expected.grads)
        if modes.recording { #expect(actual.grads.allSatisfy { !$0.isEmpty }, "every input got a gradient") }
    }
}
