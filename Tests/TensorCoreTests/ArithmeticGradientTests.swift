import Testing
@testable import TensorCore

@Suite("Arithmetic gradients") struct ArithmeticGradientTests {
    static let shapePairs: [([Int], [Int])] = [
        ([2, 3, 4], [2, 3, 4]),   // same shape
        ([2, 3, 4], [4]),         // bias-like suffix
        ([2, 3, 4], [2, 3, 1]),   // per-row scalar (mask broadcast)
        ([2, 1, 4], [1, 3, 1]),   // both sides broadcast
        ([2, 3, 4], []),          // scalar
        ([3, 1], [1, 5]),         // outer product shape
    ]

    @Test(arguments: shapePairs) func add(_ a: [Int], _ b: [Int]) {
        checkGradients([randomTensor(a, seed: 1), randomTensor(b, seed: 2)]) { $0[0] + $0[1] }
    }

    @Test(arguments: shapePairs) func subtract(_ a: [Int], _ b: [Int]) {
        checkGradients([randomTensor(a, seed: 3), randomTensor(b, seed: 4)]) { $0[0] - $0[1] }
    }

    @Test(arguments: shapePairs) func multiply(_ a: [Int], _ b: [Int]) {
        checkGradients([randomTensor(a, seed: 5), randomTensor(b, seed: 6)]) { $0[0] * $0[1] }
    }

    @Test(arguments: shapePairs) func divide(_ a: [Int], _ b: [Int]) {
        checkGradients([randomTensor(a, seed: 7), awayFromZero(b, seed: 8)], step: 1e-3) { $0[0] / $0[1] }
    }

    @Test func broadcastValues() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([10, 20], shape: [2, 1])
        #expect((a + b).values == [11, 12, 13, 24, 25, 26])
        #expect((a * Tensor([1, 0, -1], shape: [3])).values == [1, 0, -3, 4, 0, -6])
    }

    @Test func unaryOps() {
        checkGradients([awayFromZero([3, 4], seed: 9)]) { $0[0].relu() }
        checkGradients([randomTensor([3, 4], seed: 10, scale: 2)]) { $0[0].gelu() }
        checkGradients([randomTensor([3, 4], seed: 11, scale: 2)]) { $0[0].sigmoid() }
        checkGradients([randomTensor([3, 4], seed: 12)]) { $0[0].tanh() }
        checkGradients([randomTensor([3, 4], seed: 13)]) { $0[0].exp() }
        checkGradients([uniformTensor([3, 4], 0.5, 2, seed: 19)], step: 1e-3) { $0[0].log() }
        checkGradients([uniformTensor([3, 4], 0.5, 2, seed: 19)], step: 1e-3) { $0[0].sqrt() }
        checkGradients([randomTensor([3, 4], seed: 14)]) { -$0[0] }
    }

    @Test func clampZeroGradientOutside() {
        let x = Tensor([-2, -0.5, 0.5, 2], shape: [4])
        checkGradients([x.copy()]) { $0[0].clamp(-1, 1) }
        x.requiresGrad = true
        x.clamp(-1, 1).sum().backward()
        #expect(x.grad!.values == [0, 1, 1, 0])
    }

    @Test func whereAndMaskedFill() {
        let c = Tensor([1, 0, 1, 0, 0, 1], shape: [2, 3])
        checkGradients([randomTensor([2, 3], seed: 15), randomTensor([3], seed: 16)]) { Tensor.where(c, $0[0], $0[1]) }
        let keep = Tensor([1, 0], shape: [2, 1])
        checkGradients([randomTensor([2, 3], seed: 17)]) { $0[0].maskedFill(keep: keep, with: -5) }
        #expect(Tensor([1, 2, 3, 4], shape: [2, 2]).maskedFill(keep: keep, with: -5).values == [1, 2, -5, -5])
    }

    /// Against the broadcast product with the mask, for time in the middle and last of the shape, and
    /// by finite differences; nothing padded gives the input itself.
    @Test func zeroingPaddingMatchesTheMaskProduct() {
        let mask = Tensor([1, 1, 0, 1, 0, 0], shape: [2, 3])
        let middle = randomTensor([2, 4, 3, 5], seed: 18)
        #expect(middle.zeroingPadding(mask: mask, timeAxis: 2).values == (middle * mask.reshaped([2, 1, 3, 1])).values)
        let last = randomTensor([2, 4, 3], seed: 19)
        #expect(last.zeroingPadding(mask: mask, timeAxis: -1).values == (last * mask.reshaped([2, 1, 3])).values)
        checkGradients([randomTensor([2, 3, 2], seed: 20)]) { $0[0].zeroingPadding(mask: mask, timeAxis: 1) }
        let full = randomTensor([2, 3, 2], seed: 21)
        #expect(full.zeroingPadding(mask: Tensor(repeating: 1, shape: [2, 3]), timeAxis: 1) === full)
    }

    /// The mask of a tensor spanning several 64k blocks is the same on 1 and 2 threads, and both uniforms
    /// of each 64-bit draw (even and odd elements) drop at rate p: 300k Bernoulli draws per half, so a
    /// rate off by more than 5 standard deviations (0.0045 at p = 0.3) fails.
    @Test func dropoutMaskDependsOnTheSeedNotTheThreads() {
        let x = Tensor(repeating: 1, shape: [600_001])
        let one = Threading.withCount(1) { x.dropout(0.3, training: true, rng: RandomSource(seed: 9)).values }
        let two = Threading.withCount(2) { x.dropout(0.3, training: true, rng: RandomSource(seed: 9)).values }
        #expect(one == two)
        #expect(one != x.dropout(0.3, training: true, rng: RandomSource(seed: 10)).values)
        for parity in 0..<2 {
            let half = stride(from: parity, to: one.count, by: 2).map { one[$0] }
            let dropped = Double(half.filter { $0 == 0 }.count) / Double(half.count)
            #expect(abs(dropped - 0.3) < 5 * (0.3 * 0.7 / Double(half.count)).squareRoot(), "parity \(parity): \(dropped)")
        }
    }

    /// A broadcast bias's gradient (rows summed into one row, columns split across threads) is each
    /// column summed in row order in float, on 1 and 2 threads alike.
    @Test func biasGradientSumsEachColumnInRowOrder() {
        let (rows, width) = (3000, 70)
        let x = randomTensor([rows, width], seed: 30), upstream = randomTensor([rows, width], seed: 31)
        var expected = [Float](repeating: 0, count: width)
        for r in 0..<rows { for j in 0..<width { expected[j] += upstream.values[r * width + j] } }
        for threads in [1, 2] {
            let b = Tensor(zeros: [width])
            b.requiresGrad = true
            Threading.withCount(threads) { (x + b).backward(seed: upstream) }
            #expect(b.grad!.values == expected, "\(threads) threads")
        }
    }

    @Test func addingDropoutIsAddAfterDropout() {
        // adding(dropoutOf:) against + and dropout: the same values and gradients, bit for bit.
        let packed = PackedSequences(lengths: [3, 1, 4], paddedLength: 4)
        for packing in [nil, packed] {
            let h = randomTensor([packing?.rows ?? 8, 21], seed: 32), y = randomTensor([packing?.rows ?? 8, 21], seed: 33)
            let upstream = randomTensor(h.shape, seed: 34)
            func run(_ f: () -> Tensor) -> [[Float]] {
                h.requiresGrad = true; y.requiresGrad = true
                defer { h.requiresGrad = false; y.requiresGrad = false; h.grad = nil; y.grad = nil }
                let out = f()
                out.backward(seed: upstream)
                return [out.values, h.grad!.values, y.grad!.values]
            }
            let separate = run { h + y.dropout(0.4, training: true, rng: RandomSource(seed: 35), packed: packing) }
            let fused = run { h.adding(dropoutOf: y, 0.4, training: true, rng: RandomSource(seed: 35), packed: packing) }
            #expect(fused == separate)
        }
        checkGradients([randomTensor([5, 6], seed: 36), randomTensor([5, 6], seed: 37)]) {
            $0[0].adding(dropoutOf: $0[1], 0.3, training: true, rng: RandomSource(seed: 38))
        }
    }

    @Test func dropoutScalesKeptElementsAndIsSeeded() {
        let x = Tensor(repeating: 1, shape: [1000])
        let a = x.dropout(0.5, training: true, rng: RandomSource(seed: 3)).values
        let b = x.dropout(0.5, training: true, rng: RandomSource(seed: 3)).values
        #expect(a == b)
        #expect(Set(a) == [0, 2])
        let kept = a.filter { $0 != 0 }.count
        #expect(kept > 430 && kept < 570)
        #expect(x.dropout(0.5, training: false, rng: RandomSource(seed: 3)).values == x.values)
        // The gradient is the same mask.
        let y = randomTensor([4, 5], seed: 18)
        checkGradients([y]) { $0[0].dropout(0.3, training: true, rng: RandomSource(seed: 5)) }
    }

    /// A bias gradient (rows summed into one row), split over columns across threads, is each column's
    /// rows added in order, bit for bit, at widths with and without a vector tail.
    @Test(arguments: [1, 7, 16, 129, 512]) func rowsSummedIntoOneRowAddInRowOrder(_ width: Int) {
        Threading.withCount(2) {
            let rows = 70_000 / width + 3
            let g = randomTensor([rows / 3, 3, width], seed: 23)
            let bias = Tensor(zeros: [width])
            let v = g.values
            let expected = (0..<width).map { j in (0..<rows / 3 * 3).reduce(Float(0)) { $0 + v[$1 * width + j] } }
            if width == 1 {
                // One column sums in double precision (sumToShapeKernel's whole-tensor path).
                #expect(abs(bias.reducedGradient(g).values[0] - expected[0]) <= 1e-3)
            } else {
                #expect(bias.reducedGradient(g).values == expected)
            }
        }
    }

    /// The fused op against the two ops it replaces, bit for bit: values, the input's gradient (under an
    /// upstream gradient of mixed signs) and where it leaves the random stream, over several 64k blocks,
    /// with exact zeros among the inputs; in eval mode and at p = 0 it is ReLU.
    @Test(arguments: [(Float(0.3), true), (0.5, true), (0.3, false), (0, true)])
    func reluDropoutIsReLUThenDropoutBitForBit(_ p: Float, _ training: Bool) {
        Threading.withCount(2) {
            let values = randomTensor([150_001], seed: 21).values.enumerated().map { $0.offset % 7 == 0 ? 0 : $0.element }
            let upstream = randomTensor([150_001], seed: 22)
            func run(_ fused: Bool) -> (out: [Float], grad: [Float], next: UInt64) {
                let x = Tensor(values, shape: [150_001])
                x.requiresGrad = true
                let rng = RandomSource(seed: 13)
                let y = fused ? x.reluDropout(p, training: training, rng: rng) : x.relu().dropout(p, training: training, rng: rng)
                (y * upstream).sum().backward()
                return (y.values, x.grad!.values, rng.withGenerator { $0.next() })
            }
            let (fused, composed) = (run(true), run(false))
            #expect(fused.out == composed.out && fused.grad == composed.grad && fused.next == composed.next)
            #expect(fused.out.contains(0) && fused.out.contains { $0 > 0 })
            #expect(zip(fused.out, values).allSatisfy { out, x in x > 0 || out == 0 })
        }
    }

    /// On packed rows the fused op draws the padded batch's mask, as dropout does: bit for bit the two ops.
    @Test func reluDropoutOnPackedRowsIsReLUThenPackedDropout() {
        let sequences = PackedSequences(lengths: [7, 1, 12, 3], paddedLength: 12)
        let x = randomTensor([23, 5], seed: 23), upstream = randomTensor([23, 5], seed: 24)
        x.requiresGrad = true
        func run(_ fused: Bool) -> (out: [Float], grad: [Float]) {
            x.grad = nil
            let rng = RandomSource(seed: 17)
            let y = fused ? x.reluDropout(0.4, training: true, rng: rng, packed: sequences)
                : x.relu().dropout(0.4, training: true, rng: rng, packed: sequences)
            (y * upstream).sum().backward()
            return (y.values, x.grad!.values)
        }
        let (fused, composed) = (run(true), run(false))
        #expect(fused.out == composed.out && fused.grad == composed.grad)
        // Not the unpacked mask: the draws are the padded batch's (48 x 5 flags), compacted.
        let unpacked = x.relu().dropout(0.4, training: true, rng: RandomSource(seed: 17)).values
        #expect(unpacked != fused.out)
    }
}
