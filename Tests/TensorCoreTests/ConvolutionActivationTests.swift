import Testing
@testable import TensorCore

/// The convolution + batch norm + activation (+ dropout, padding zeroing) op against the two ops it fuses
/// (conv2d, then batchNormActivationDropout, each checked against PyTorch and finite differences
/// elsewhere): in evaluation, for a one-channel (K, 1) convolution, its plane-by-plane path gives the same
/// bits; with gradients, batch statistics, dropout or padded frames it is the two ops.
@Suite("Conv + batch norm + activation") struct ConvolutionActivationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let n, o, h, w, k, pad: Int
        var testDescription: String { "n\(n) o\(o) \(h)x\(w) k\(k) pad \(pad)" }
    }
    static let cases: [Case] = [
        Case(n: 2, o: 64, h: 37, w: 128, k: 3, pad: 1),    // LoGoNet small's conv1, two images
        Case(n: 1, o: 5, h: 9, w: 7, k: 5, pad: 2),
        Case(n: 1, o: 3, h: 6, w: 1, k: 3, pad: 0),
    ]

    private struct Parameters {
        let x, weight, bias, gamma, beta, runningMean, runningVar: Tensor
        init(_ k: Case, seed: UInt64) {
            x = randomTensor([k.n, 1, k.h, k.w], seed: seed)
            weight = randomTensor([k.o, 1, k.k, 1], seed: seed + 1, scale: 0.5)
            bias = randomTensor([k.o], seed: seed + 2, scale: 0.3)
            gamma = uniformTensor([k.o], 0.5, 1.5, seed: seed + 3)
            beta = randomTensor([k.o], seed: seed + 4, scale: 0.3)
            runningMean = uniformTensor([k.o], -0.3, 0.3, seed: seed + 5)
            runningVar = uniformTensor([k.o], 0.5, 2.0, seed: seed + 6)
        }

        func separate(_ k: Case, training: Bool, activation: NormActivation, dropoutTraining: Bool, mask: Tensor?) -> Tensor {
            x.conv2d(weight: weight, bias: bias, padding: (k.pad, 0))
                .batchNormActivationDropout(weight: gamma, bias: beta, runningMean: runningMean, runningVar: runningVar,
                                            training: training, activation: activation, dropout: 0.3,
                                            dropoutTraining: dropoutTraining, rng: RandomSource(seed: 31), paddingMask: mask)
        }

        func fused(_ k: Case, training: Bool, activation: NormActivation, dropoutTraining: Bool, mask: Tensor?) -> Tensor {
            x.conv2dBatchNormActivationDropout(weight: weight, bias: bias, padding: (k.pad, 0), bnWeight: gamma, bnBias: beta,
                                               runningMean: runningMean, runningVar: runningVar, training: training,
                                               activation: activation, dropout: 0.3, dropoutTraining: dropoutTraining,
                                               rng: RandomSource(seed: 31), paddingMask: mask)
        }
    }

    private static func bits(_ t: Tensor) -> [UInt32] { t.values.map(\.bitPattern) }

    /// A mask of the output frames: all real, or the second image's last two padded.
    private static func mask(_ k: Case, padded: Bool) -> Tensor {
        let outH = k.h + 2 * k.pad - (k.k - 1)
        var m = [Float](repeating: 1, count: k.n * outH)
        if padded { m[m.count - 1] = 0; m[m.count - 2] = 0 }
        return Tensor(m, shape: [k.n, outH])
    }

    @Test(arguments: cases, [NormActivation.relu, .gelu, .identity])
    func evaluationGivesTheSameBits(_ k: Case, _ activation: NormActivation) {
        let p = Parameters(k, seed: 11)
        let g = ConvGeometry(n: k.n, c: 1, h: k.h, w: k.w, o: k.o, kh: k.k, kw: 1, strideH: 1, strideW: 1, padH: k.pad, padW: 0,
                             dilH: 1, dilW: 1)
        for mask in [nil, Self.mask(k, padded: false), Self.mask(k, padded: true)] {
            // The cases that must take the plane-by-plane path do (so the comparison checks it).
            let planeByPlane = activation != .identity && mask.map { !$0.values.contains(0) } ?? true
            #expect(Tensor.convolvesPlaneByPlane(g, inputs: [p.x, p.weight, p.gamma, p.beta, p.bias], training: false, dropout: 0.3,
                                                 dropoutTraining: false, activation: activation, paddingMask: mask) == planeByPlane)
            let fused = GradMode.withNoGrad { p.fused(k, training: false, activation: activation, dropoutTraining: false, mask: mask) }
            let separate = GradMode.withNoGrad { p.separate(k, training: false, activation: activation, dropoutTraining: false, mask: mask) }
            #expect(fused.shape == separate.shape)
            #expect(Self.bits(fused) == Self.bits(separate), "\(k) \(activation) mask \(mask.map { "\($0.values.filter { $0 == 0 }.count) padded" } ?? "none")")
        }
    }

    /// Training, dropout or recorded gradients: the two ops, values and gradients bit for bit.
    @Test(arguments: [(true, true), (true, false), (false, true)])
    func otherwiseItIsTheTwoOps(_ training: Bool, _ dropoutTraining: Bool) {
        let k = Self.cases[1]
        func run(_ fused: Bool) -> (Tensor, [Tensor]) {
            let p = Parameters(k, seed: 21)
            let learned = [p.x, p.weight, p.bias, p.gamma, p.beta]
            for t in learned { t.requiresGrad = true }
            let y = fused ? p.fused(k, training: training, activation: .gelu, dropoutTraining: dropoutTraining, mask: nil)
                          : p.separate(k, training: training, activation: .gelu, dropoutTraining: dropoutTraining, mask: nil)
            (y * uniformTensor(y.shape, -1, 1, seed: 5)).sum().backward()
            return (y, learned.map { $0.grad! })
        }
        let (a, ga) = run(true), (b, gb) = run(false)
        #expect(Self.bits(a) == Self.bits(b))
        for (x, y) in zip(ga, gb) { #expect(Self.bits(x) == Self.bits(y)) }
    }
}
