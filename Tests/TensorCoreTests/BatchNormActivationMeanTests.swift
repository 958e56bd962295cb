import CKernels
import Foundation
import Testing
@testable import TensorCore
import TestSupport

/// The fused batch norm + activation + dropout + last-axis mean against the same computation done by the
/// separate ops (batchNorm, relu / gelu, dropout, mean), which are themselves checked against PyTorch and
/// finite differences; and against finite differences directly.
@Suite("Batch norm + activation + dropout + mean") struct BatchNormActivationMeanTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let shape: [Int], activation: NormActivation, dropout: Float
        var testDescription: String { "x\(shape) \(activation) p\(dropout)" }
    }
    static let cases: [Case] = [
        Case(shape: [2, 3, 4, 5], activation: .relu, dropout: 0.5),
        Case(shape: [2, 3, 4, 5], activation: .relu, dropout: 0),
        Case(shape: [3, 2, 7], activation: .gelu, dropout: 0.3),
        Case(shape: [2, 2, 2, 3, 6], activation: .identity, dropout: 0.2),
        Case(shape: [1, 4, 3, 1], activation: .relu, dropout: 0.4),          // a last axis of one element
        Case(shape: [2, 2, 1, 2500], activation: .relu, dropout: 0.1),       // rows longer than one sum chunk
    ]

    private static func composed(_ p: [Tensor], _ c: Case, rm: Tensor, rv: Tensor, training: Bool, dropoutTraining: Bool,
                                 seed: UInt64) -> Tensor {
        var y = p[0].batchNorm(weight: p[1], bias: p[2], runningMean: rm, runningVar: rv, training: training)
        switch c.activation {
        case .identity: break
        case .relu: y = y.relu()
        case .gelu: y = y.gelu()
        }
        return y.dropout(c.dropout, training: dropoutTraining, rng: RandomSource(seed: seed)).mean(axis: c.shape.count - 1)
    }

    private static func fused(_ p: [Tensor], _ c: Case, rm: Tensor, rv: Tensor, training: Bool, dropoutTraining: Bool,
                              seed: UInt64) -> Tensor {
        p[0].batchNormActivationDropoutMean(weight: p[1], bias: p[2], runningMean: rm, runningVar: rv, training: training,
                                            activation: c.activation, dropout: c.dropout, dropoutTraining: dropoutTraining,
                                            rng: RandomSource(seed: seed))
    }

    private static func parameters(_ c: Case, seed: UInt64) -> [Tensor] {
        // Channel-dependent offsets so the centring matters.
        let x = randomTensor(c.shape, seed: seed) + uniformTensor([1, c.shape[1]] + Array(repeating: 1, count: c.shape.count - 2),
                                                                  -0.5, 1.0, seed: seed + 1)
        return [x, uniformTensor([c.shape[1]], 0.5, 1.5, seed: seed + 2), randomTensor([c.shape[1]], seed: seed + 3, scale: 0.3)]
    }

    @Test(arguments: cases, [(true, true), (false, false), (false, true)])
    func matchesTheComposedOps(_ c: Case, modes: (training: Bool, dropoutTraining: Bool)) {
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
        #expect(actual.shape == Array(c.shape.dropLast()))
        #expect(actual.out.count == expected.out.count)
        #expect(maxAbsDifference(actual.out, expected.out) <= 1e-5 * Swift.max(1, expected.out.map(abs).max() ?? 0), "values")
        for (k, name) in ["x", "weight", "bias"].enumerated() {
            let scale = Swift.max(expected.grads[k].map(abs).max() ?? 0, 1e-3)
            #expect(actual.grads[k].count == expected.grads[k].count)
            #expect(maxAbsDifference(actual.grads[k], expected.grads[k]) <= 1e-4 * scale, "gradient of \(name)")
        }
        #expect(maxAbsDifference(rmB.values, rmA.values) <= 1e-6, "running mean")
        #expect(maxAbsDifference(rvB.values, rvA.values) <= 1e-6, "running variance")
    }

    /// ReLU rows without dropout take CKernels' wide-vector row mean: at every level the same bits as the
    /// Swift loop (reached here through all-ones keep flags, whose multiply by one is exact), for rows
    /// shorter than a vector, with tails, and longer than one sum chunk.
    @Test(arguments: [0, 1, 2] as [Int32]) func reluRowMeanIsTheSameAtEveryLevel(_ level: Int32) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        for length in [1, 15, 16, 17, 128, 1030, 2500] {
            let x = uniformTensor([length], -1, 1, seed: UInt64(length)).values
            let ones = [UInt8](repeating: 1, count: length)
            var buffer = [Float](repeating: .nan, count: activationMeanChunk)
            for (a, b) in [(Float(1.3), Float(-0.2)), (0.7, 0.4)] {
                let scale = 1 / Float(length)
                let swift = activatedRowMean(ReluFunction.self, x, ones, a: a, b: b, length: length, rowScale: scale,
                                             buffer: &buffer)
                let wide = ck_affine_relu_row_mean_level(level, x, length, a, b, scale, activationMeanChunk)
                #expect(wide.bitPattern == swift.bitPattern, "length \(length), a \(a), b \(b)")
            }
        }
    }

    /// The fused op draws exactly what dropout on the full tensor draws, so the stream continues alike.
    @Test func leavesTheRandomStreamWhereDropoutLeavesIt() {
        let x = randomTensor([2, 3, 4, 5], seed: 1), gamma = Tensor(repeating: 1, shape: [3]), beta = Tensor(zeros: [3])
        let a = RandomSource(seed: 11), b = RandomSource(seed: 11)
        _ = x.dropout(0.5, training: true, rng: a)
        _ = x.batchNormActivationDropoutMean(weight: gamma, bias: beta, runningMean: Tensor(zeros: [3]),
                                             runningVar: Tensor(repeating: 1, shape: [3]), training: true,
                                             activation: .relu, dropout: 0.5, dropoutTraining: true, rng: b)
        #expect(a.withGenerator { $0.next() } == b.withGenerator { $0.next() })
    }

    /// Smooth activations (GELU, identity) so finite differences hold everywhere; a fresh stream per call
    /// keeps the dropout mask fixed while the inputs are perturbed.
    @Test(arguments: [Case(shape: [2, 3, 2, 4], activation: .gelu, dropout: 0.3),
                      Case(shape: [3, 2, 5], activation: .identity, dropout: 0.5)], [true, false])
    func finiteDifferences(_ c: Case, training: Bool) {
        let p = Self.parameters(c, seed: 30)
        let rm = Tensor(zeros: [c.shape[1]]), rv = Tensor(repeating: 1, shape: [c.shape[1]])
        checkGradients(p, step: 1e-2, atol: 2e-3, rtol: 2e-2) {
            Self.fused($0, c, rm: rm, rv: rv, training: training, dropoutTraining: true, seed: 3)
        }
    }

    @Test func rejectsAnInputWithoutAnAxisAfterTheChannels() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 3]).batchNormActivationDropoutMean(
                weight: Tensor(zeros: [3]), bias: Tensor(zeros: [3]), runningMean: Tensor(zeros: [3]),
                runningVar: Tensor(zeros: [3]), training: true, activation: .relu, dropout: 0, dropoutTraining: false,
                rng: RandomSource(seed: 0))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("batchNormActivationDropoutMean: needs (N, C, ..., L)"))
    }
}
