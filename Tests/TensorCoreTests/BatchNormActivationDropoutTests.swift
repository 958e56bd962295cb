import CKernels
import Foundation
import Testing
@testable import TensorCore
import TestSupport

/// The fused batch norm + activation + dropout + padding zeroing against the same computation done by the
/// separate ops (batchNorm, relu / gelu, dropout, zeroingPadding), which are themselves checked against
/// PyTorch and finite differences; and against finite differences directly.
@Suite("Batch norm + activation + dropout + padding") struct BatchNormActivationDropoutTests {
    enum Padding: Sendable { case none, unpadded, padded }
    struct Case: Sendable, CustomTestStringConvertible {
        let shape: [Int], activation: NormActivation, dropout: Float, padding: Padding
        var testDescription: String { "x\(shape) \(activation) p\(dropout) \(padding)" }
    }
    static let cases: [Case] = [
        Case(shape: [2, 3, 4, 5], activation: .relu, dropout: 0.5, padding: .padded),
        Case(shape: [2, 3, 4, 5], activation: .relu, dropout: 0.5, padding: .none),
        Case(shape: [2, 3, 4, 5], activation: .relu, dropout: 0, padding: .padded),
        Case(shape: [3, 2, 6, 3], activation: .identity, dropout: 0.3, padding: .padded),
        Case(shape: [2, 2, 5, 2, 3], activation: .relu, dropout: 0.2, padding: .unpadded),
        Case(shape: [2, 4, 3], activation: .relu, dropout: 0.4, padding: .padded),          // nothing after time
        Case(shape: [2, 3, 4, 37], activation: .gelu, dropout: 0.3, padding: .padded),      // past a vector width
        Case(shape: [2, 3, 4, 5], activation: .gelu, dropout: 0, padding: .none),
        Case(shape: [3, 2, 6, 3], activation: .gelu, dropout: 0.2, padding: .unpadded),
    ]

    /// (B, T) with video b's last b frames padded, or all real frames.
    private static func mask(_ c: Case) -> Tensor? {
        let (b, t) = (c.shape[0], c.shape[2])
        switch c.padding {
        case .none: return nil
        case .unpadded: return Tensor(repeating: 1, shape: [b, t])
        case .padded: return Tensor((0..<b * t).map { $0 % t < t - $0 / t ? 1 : 0 }, shape: [b, t])
        }
    }

    private static func composed(_ p: [Tensor], _ c: Case, rm: Tensor, rv: Tensor, training: Bool, dropoutTraining: Bool,
                                 seed: UInt64) -> Tensor {
        var y = p[0].batchNorm(weight: p[1], bias: p[2], runningMean: rm, runningVar: rv, training: training)
        switch c.activation {
        case .identity: break
        case .relu: y = y.relu()
        case .gelu: y = y.gelu()
        }
        y = y.dropout(c.dropout, training: dropoutTraining, rng: RandomSource(seed: seed))
        return mask(c).map { y.zeroingPadding(mask: $0, timeAxis: 2) } ?? y
    }

    private static func fused(_ p: [Tensor], _ c: Case, rm: Tensor, rv: Tensor, training: Bool, dropoutTraining: Bool,
                              seed: UInt64) -> Tensor {
        p[0].batchNormActivationDropout(weight: p[1], bias: p[2], runningMean: rm, runningVar: rv, training: training,
                                        activation: c.activation, dropout: c.dropout, dropoutTraining: dropoutTraining,
                                        rng: RandomSource(seed: seed), paddingMask: mask(c))
    }

    private static func parameters(_ c: Case, seed: UInt64) -> [Tensor] {
        // Channel-dependent offsets so the centring matters.
        let x = randomTensor(c.shape, seed: seed) + uniformTensor([1, c.shape[1]] + Array(repeating: 1, count: c.shape.count - 2),
                                                                  -0.5, 1.0, seed: seed + 1)
        return [x, uniformTensor([c.shape[1]], 0.5, 1.5, seed: seed + 2), randomTensor([c.shape[1]], seed: seed + 3, scale: 0.3)]
    }

    /// ReLU, identity and GELU (the same C formula as `gelu()`): the same float operations in the same
    /// order, so the same bits (values, all three gradients, running statistics).
    @Test(arguments: cases, [(true, true), (false, false), (false, true)])
    func matchesTheComposedOpsBitForBit(_ c: Case, modes: (training: Bool, dropoutTraining: Bool)) {
        let p = Self.parameters(c, seed: 20)
        let channels = c.shape[1]
        let stats = { (uniformTensor([channels], -0.5, 0.5, seed: 9), uniformTensor([channels], 0.5, 2.0, seed: 10)) }
        let (rmA, rvA) = stats(), (rmB, rvB) = stats()

        func run(_ f: ([Tensor]) -> Tensor) -> (out: [Float], shape: [Int], grads: [[Float]]) {
            for t in p { t.requiresGrad = true; t.grad = nil }
            let y = f(p)
            y.backward(seed: uniformTensor(y.shape, -1, 1, seed: 77))
            defer { for t in p { t.requiresGrad = false; t.grad = nil } }
            return (y.values, y.shape, p.map { $0.grad?.values ?? [] })
        }
        let expected = run { Self.composed($0, c, rm: rmA, rv: rvA, training: modes.training, dropoutTraining: modes.dropoutTraining, seed: 5) }
        let actual = run { Self.fused($0, c, rm: rmB, rv: rvB, training: modes.training, dropoutTraining: modes.dropoutTraining, seed: 5) }
        // +0 and -0 compare equal: a zeroed gradient may carry either sign in the composed chain.
        #expect(actual.shape == c.shape)
        #expect(actual.out == expected.out, "values")
        for (k, name) in ["x", "weight", "bias"].enumerated() {
            #expect(actual.grads[k] == expected.grads[k], "gradient of \(name)")
        }
        #expect(mismatches(rmB.values, rmA.values).none, "running mean")
        #expect(mismatches(rvB.values, rvA.values).none, "running variance")
        if c.padding == .padded, let m = Self.mask(c) {
            // The padded frames are zero: the case really pads.
            let (b, t) = (c.shape[0], c.shape[2]), rest = c.shape.dropFirst(3).reduce(1, *)
            let padded = (0..<actual.out.count).filter { m.values[($0 / (channels * t * rest)) * t + ($0 / rest) % t] == 0 }
            #expect(!padded.isEmpty && padded.allSatisfy { actual.out[$0] == 0 })
            _ = b
        }
    }

    /// ReLU runs in CKernels' `ck_affine_relu_dropout_forward`: at every level the bits of the Swift
    /// formula (ReluFunction of x a + b, times keep scale), with and without keep flags, over lengths
    /// with and without a vector tail.
    @Test(arguments: [0, 1, 2] as [Int32]) func reluKernelIsTheSameAtEveryLevel(_ level: Int32) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        let (a, b, scale): (Float, Float, Float) = (1.3, -0.2, 1 / 0.7)
        for count in [1, 15, 16, 37, 1000] {
            let x = uniformTensor([count], -1, 1, seed: UInt64(count)).values
            let keep = (0..<count).map { UInt8(($0 * 7 + 3) % 5 == 0 ? 0 : 1) }
            for flags in [keep, nil] {
                var y = [Float](repeating: .nan, count: count)
                if let flags {
                    ck_affine_relu_dropout_forward_level(level, x, a, b, flags, scale, &y, count)
                } else {
                    ck_affine_relu_dropout_forward_level(level, x, a, b, nil, scale, &y, count)
                }
                let expected = (0..<count).map { i -> Float in
                    let relu = ReluFunction.apply(x[i] * a + b)
                    return flags.map { relu * (Float($0[i]) * scale) } ?? relu
                }
                #expect(mismatches(y.map(\.bitPattern), expected.map(\.bitPattern)).none, "count \(count), keep \(flags != nil)")
            }
        }
    }

    /// The fused op draws exactly what dropout on the full tensor draws, so the stream continues alike.
    @Test func leavesTheRandomStreamWhereDropoutLeavesIt() {
        let x = randomTensor([2, 3, 4, 5], seed: 1), gamma = Tensor(repeating: 1, shape: [3]), beta = Tensor(zeros: [3])
        let a = RandomSource(seed: 11), b = RandomSource(seed: 11)
        _ = x.dropout(0.5, training: true, rng: a)
        _ = x.batchNormActivationDropout(weight: gamma, bias: beta, runningMean: Tensor(zeros: [3]),
                                         runningVar: Tensor(repeating: 1, shape: [3]), training: true,
                                         activation: .relu, dropout: 0.5, dropoutTraining: true, rng: b,
                                         paddingMask: Tensor(repeating: 1, shape: [2, 4]))
        #expect(a.withGenerator { $0.next() } == b.withGenerator { $0.next() })
    }

    /// Smooth activations (GELU, identity) so finite differences hold everywhere; a fresh stream per call
    /// keeps the dropout mask fixed while the inputs are perturbed.
    @Test(arguments: [Case(shape: [2, 3, 3, 4], activation: .gelu, dropout: 0.3, padding: .padded),
                      Case(shape: [3, 2, 5], activation: .identity, dropout: 0.5, padding: .padded)], [true, false])
    func finiteDifferences(_ c: Case, training: Bool) {
        let p = Self.parameters(c, seed: 30)
        let rm = Tensor(zeros: [c.shape[1]]), rv = Tensor(repeating: 1, shape: [c.shape[1]])
        checkGradients(p, step: 1e-2, atol: 2e-3, rtol: 2e-2) {
            Self.fused($0, c, rm: rm, rv: rv, training: training, dropoutTraining: true, seed: 3)
        }
    }

    @Test func rejectsAMaskThatDoesNotFit() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 3, 4]).batchNormActivationDropout(
                weight: Tensor(zeros: [3]), bias: Tensor(zeros: [3]), runningMean: Tensor(zeros: [3]),
                runningVar: Tensor(zeros: [3]), training: true, activation: .relu, dropout: 0, dropoutTraining: false,
                rng: RandomSource(seed: 0), paddingMask: Tensor(zeros: [2, 5]))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("batchNormActivationDropout: mask of shape [2, 5] does not fit input [2, 3, 4]"))
    }
}
