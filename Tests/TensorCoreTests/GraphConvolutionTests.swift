import Foundation
import Testing
@testable import TensorCore

/// `graphConvolution` (a graph layer's product, band, bias, ReLU and dropout as one op) against the ops it
/// replaces, `matmul(weight).bandAggregate(...)` then `reluDropout`: bit for bit (bit patterns, so signed
/// zeros count) in the output, the gradients of the input, weight and bias, and where it leaves the
/// dropout's random stream; on batches large enough for both threads (rows split forward, columns
/// backward), packed rows and padded ones, radius 1 and 2, a column count that is not a multiple of 16,
/// one row and one column (the bias gradient's other reductions), without the activation, in eval mode
/// and at p = 0. Then its gradients against finite differences. Serialized: OpenBLAS's bits can depend
/// on its thread count, which the cases set, so no case may change it while another runs its two paths.
@Suite("Graph convolution op against the product, band and ReLU-dropout ops", .serialized) struct GraphConvolutionTests {
    enum Activation: CaseIterable { case none, training, eval, zeroProbability }

    /// (batch, frames, in, out, radius, packed lengths or none). Rows x in x out stays at most 262,144, below
    /// which OpenBLAS runs a product on one thread whatever its thread count: that count is process-wide,
    /// and suites running beside this one change it (an evaluation pass runs its products single-threaded),
    /// which changed the products' bits between the two paths of a case when they ran threaded.
    static let shapes: [(Int, Int, Int, Int, Int, [Int])] = [
        (1, 2_980, 2, 40, 1, [700, 1, 1_279, 1_000]), (3, 700, 3, 33, 1, []), (2, 300, 8, 20, 2, []),
        (1, 1, 8, 24, 1, []), (4, 200, 8, 1, 1, []), (1, 410, 6, 17, 2, [200, 10, 200]),
    ]

    @Test(arguments: shapes.indices) func matchesTheUnfusedOpsBitForBit(_ index: Int) {
        Threading.withCount(2) {
            let (b, t, inWidth, c, radius, lengths) = Self.shapes[index]
            let sequences = lengths.isEmpty ? nil : PackedSequences(lengths: lengths, paddedLength: lengths.max()!)
            var coefficients = uniformTensor([b, t, 2 * radius + 1], 0.1, 1, seed: 60).values
            for i in stride(from: 0, to: coefficients.count, by: 7) { coefficients[i] = 0 }
            let k = Tensor(coefficients, shape: [b, t, 2 * radius + 1])
            // Exact zeros and both signs in the upstream gradient: dropped frames give signed zeros.
            let upstream = Tensor(randomTensor([b, t, c], seed: 61).values.enumerated().map { $0.offset % 5 == 0 ? 0 : $0.element },
                                  shape: [b, t, c])
            for activation in Activation.allCases {
                for withBias in [false, true] {
                    func run(fused: Bool) -> (values: [[UInt32]], next: UInt64) {
                        let x = randomTensor([b, t, inWidth], seed: 62), weight = randomTensor([inWidth, c], seed: 63, scale: 0.5)
                        let bias = randomTensor([c], seed: 64)
                        for p in [x, weight, bias] { p.requiresGrad = true }
                        let rng = RandomSource(seed: 19)
                        let dropout = Dropout(activation == .zeroProbability ? 0 : 0.5, rng: rng)
                        dropout.isTraining = activation != .eval
                        let y: Tensor
                        if fused {
                            y = x.graphConvolution(weight: weight, coefficients: k, radius: radius, bias: withBias ? bias : nil,
                                                   reluDropout: activation == .none ? nil : dropout, packed: sequences)
                        } else {
                            let band = x.matmul(weight).bandAggregate(coefficients: k, radius: radius, bias: withBias ? bias : nil)
                            // VideoSAGE's packed rows: the activation sees (R, C).
                            let rows = sequences == nil ? band : band.reshaped([b * t, c])
                            y = activation == .none ? band : dropout(reluOf: rows, packed: sequences).reshaped([b, t, c])
                        }
                        y.backward(seed: upstream)
                        let grads = [x.grad!, weight.grad!] + (withBias ? [bias.grad!] : [])
                        #expect(withBias || bias.grad == nil)
                        let bits = ([y.values] + grads.map(\.values)).map { $0.map(\.bitPattern) }
                        return (bits, rng.withGenerator { $0.next() })
                    }
                    let (fused, composed) = (run(fused: true), run(fused: false))
                    let names = ["output", "input gradient", "weight gradient", "bias gradient"]
                    let mismatches = zip(names, zip(fused.values, composed.values)).filter { $1.0 != $1.1 }.map(\.0)
                        + (fused.next == composed.next ? [] : ["random stream"])
                    #expect(mismatches.isEmpty, "\(mismatches), shape \(Self.shapes[index]), \(activation), bias \(withBias)")
                }
            }
        }
    }

    /// The gradients of x, weight and bias against central differences, with the dropout's mask held
    /// fixed (a fresh stream of the same seed for every evaluation), and without the activation.
    @Test(arguments: [1, 2]) func gradientsMatchFiniteDifferences(_ radius: Int) {
        let (b, t, inWidth, c) = (2, 9, 5, 6)
        let k = uniformTensor([b, t, 2 * radius + 1], 0.1, 1, seed: 70)
        let inputs = [randomTensor([b, t, inWidth], seed: 71), randomTensor([inWidth, c], seed: 72, scale: 0.5),
                      randomTensor([c], seed: 73)]
        for withDropout in [false, true] {
            // A smaller step with the ReLU, so that few pre-activations cross its kink.
            checkGradients(inputs, step: withDropout ? 1e-3 : 1e-2) {
                $0[0].graphConvolution(weight: $0[1], coefficients: k, radius: radius, bias: $0[2],
                                       reluDropout: withDropout ? Dropout(0.3, rng: RandomSource(seed: 74)) : nil)
            }
        }
    }
}
