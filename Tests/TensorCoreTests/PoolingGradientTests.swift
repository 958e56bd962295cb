import Testing
@testable import TensorCore

/// Finite-difference gradient checks and window rules of the ops the GoogLeNet trunk of CSTA's paper
/// variant needs: max pooling (stride, padding, ceil mode), adaptive average pooling in both directions,
/// the strided 7x7 convolution without bias, concatenation along channels, softmax over either axis of a
/// matrix and batch norm with eps 1e-3.
@Suite("Pooling, strided convolution and softmax-axis gradients") struct PoolingGradientTests {
    /// Distinct values 0.1 apart in a shuffled order: every max-pool window has a unique maximum with a
    /// margin far above the finite-difference step, so the arg max never flips while perturbing.
    static func spread(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        let n = shape.reduce(1, *)
        var values = (0..<n).map { Float($0) * 0.1 - Float(n) * 0.05 }
        values.shuffle(using: &rng)
        return Tensor(values, shape: shape)
    }

    struct PoolCase: Sendable, CustomTestStringConvertible {
        let input: [Int], kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), ceil: Bool
        var testDescription: String { "x\(input) k\(kernel) s\(stride) p\(padding) ceil \(ceil)" }
    }

    static let poolCases: [PoolCase] = [
        PoolCase(input: [2, 2, 7, 9], kernel: (3, 3), stride: (2, 2), padding: (0, 0), ceil: true),   // maxpool1-3: partial last windows
        PoolCase(input: [1, 3, 5, 6], kernel: (3, 3), stride: (1, 1), padding: (1, 1), ceil: true),   // inception branch 4
        PoolCase(input: [1, 2, 5, 7], kernel: (2, 2), stride: (2, 2), padding: (0, 0), ceil: true),   // maxpool4 on odd sizes
        PoolCase(input: [1, 2, 2, 7], kernel: (3, 3), stride: (2, 2), padding: (0, 0), ceil: true),   // window taller than the input
        PoolCase(input: [1, 1, 6, 5], kernel: (2, 3), stride: (2, 1), padding: (1, 1), ceil: false),
    ]

    @Test(arguments: poolCases) func maxPool(_ c: PoolCase) {
        checkGradients([Self.spread(c.input, seed: 41)]) {
            $0[0].maxPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding, ceilMode: c.ceil)
        }
    }

    @Test(arguments: poolCases) func avgPool(_ c: PoolCase) {
        checkGradients([randomTensor(c.input, seed: 42)]) {
            $0[0].avgPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding, ceilMode: c.ceil)
        }
    }

    /// PyTorch's output length: floor((L + 2p - k + (ceil ? s - 1 : 0)) / s) + 1, minus one in ceil mode
    /// when the last window would start in the right padding. Expected values worked out by hand (and
    /// agreeing with torch.nn.functional.max_pool2d for these sizes).
    @Test func outputLengthRule() {
        #expect(Tensor.pooledLength(61, kernel: 3, stride: 2, padding: 0, ceilMode: true) == 30)
        #expect(Tensor.pooledLength(7, kernel: 3, stride: 2, padding: 0, ceilMode: true) == 3)
        #expect(Tensor.pooledLength(8, kernel: 3, stride: 2, padding: 0, ceilMode: true) == 4)   // last window starts at 6, inside
        #expect(Tensor.pooledLength(8, kernel: 3, stride: 2, padding: 0, ceilMode: false) == 3)
        #expect(Tensor.pooledLength(2, kernel: 3, stride: 2, padding: 0, ceilMode: true) == 1)   // 14 frames: maxpool3's input
        #expect(Tensor.pooledLength(1, kernel: 3, stride: 2, padding: 0, ceilMode: true) == 0)   // 13 frames: rejected
        #expect(Tensor.pooledLength(5, kernel: 2, stride: 2, padding: 1, ceilMode: true) == 3)   // a 4th window would start in the padding
        #expect(Tensor.pooledLength(5, kernel: 3, stride: 1, padding: 1, ceilMode: true) == 5)
        #expect(Tensor.pooledLength(1, kernel: 2, stride: 2, padding: 0, ceilMode: true) == 1)
    }

    /// Windows and values on a hand-checkable input: a 1 x 5 row pooled 3/2 in ceil mode gives windows
    /// [0,3), [2,5); 2/2 with padding 1 in ceil mode gives [-1,1), [1,3), [3,5).
    @Test func maxPoolValuesAndTies() {
        let x = Tensor([3, 1, 4, 1, 5], shape: [1, 1, 1, 5])
        #expect(x.maxPool2d(kernel: (1, 3), stride: (1, 2), ceilMode: true).values == [4, 5])
        #expect(x.maxPool2d(kernel: (1, 2), stride: (1, 2), padding: (0, 1), ceilMode: true).values == [3, 4, 5])
        // A window of equal values sends its gradient to the first element in row-major order, as
        // PyTorch's CPU kernel does (it replaces the maximum only when a value is strictly greater).
        let flat = Tensor(repeating: 2, shape: [1, 1, 2, 2])
        flat.requiresGrad = true
        flat.maxPool2d(kernel: (2, 2)).sum().backward()
        #expect(flat.grad?.values == [1, 0, 0, 0])
    }

    /// The adaptive rule start = floor(i L / out), end = ceil((i + 1) L / out), written out per output,
    /// for outputs larger than the input (3 -> 8 rows, as CSTA's trunk rows are enlarged), smaller
    /// (9 -> 4, windows overlap), 1 column, and the identity.
    @Test func adaptiveAveragePoolWindows() {
        let (h, w) = (3, 9)
        let x = randomTensor([2, 2, h, w], seed: 43)
        for (oh, ow) in [(8, 4), (2, 1), (3, 9), (7, 13)] {
            let y = x.adaptiveAvgPool2d(oh, ow)
            #expect(y.shape == [2, 2, oh, ow])
            let xv = x.values, yv = y.values
            var worst: Float = 0
            for plane in 0..<4 {
                for i in 0..<oh {
                    for j in 0..<ow {
                        let (r0, r1) = (i * h / oh, ((i + 1) * h + oh - 1) / oh)
                        let (c0, c1) = (j * w / ow, ((j + 1) * w + ow - 1) / ow)
                        var s: Double = 0
                        for r in r0..<r1 { for c in c0..<c1 { s += Double(xv[plane * h * w + r * w + c]) } }
                        let expected = s / Double((r1 - r0) * (c1 - c0))
                        worst = Swift.max(worst, Float(abs(expected - Double(yv[plane * oh * ow + i * ow + j]))))
                    }
                }
            }
            #expect(worst < 1e-6, "(\(oh), \(ow)): max error \(worst)")
        }
    }

    @Test func adaptiveAveragePoolGradients() {
        checkGradients([randomTensor([2, 2, 3, 5], seed: 44)]) { $0[0].adaptiveAvgPool2d(8, 1) }    // rows enlarged, columns to 1
        checkGradients([randomTensor([1, 2, 9, 4], seed: 45)]) { $0[0].adaptiveAvgPool2d(4, 7) }    // rows shrunk, columns enlarged
        checkGradients([randomTensor([1, 1, 6, 5], seed: 46)]) { $0[0].adaptiveAvgPool2d(5, 5) }    // T+1 -> T rows, width kept
        checkGradients([randomTensor([1, 3, 2, 3], seed: 47)]) { $0[0].adaptiveAvgPool2d(15, 2) }
    }

    /// GoogLeNet's conv1: 7x7, stride 2, padding 3, no bias, on an input whose sides are odd and even.
    @Test func strided7x7ConvolutionWithoutBias() {
        checkGradients([randomTensor([1, 3, 9, 12], seed: 48), randomTensor([2, 3, 7, 7], seed: 49, scale: 0.3)]) {
            $0[0].conv2d(weight: $0[1], bias: nil, stride: (2, 2), padding: (3, 3))
        }
        let y = randomTensor([1, 3, 9, 12], seed: 48).conv2d(weight: randomTensor([2, 3, 7, 7], seed: 49), bias: nil,
                                                             stride: (2, 2), padding: (3, 3))
        #expect(y.shape == [1, 2, 5, 6])
    }

    @Test func concatenationAlongChannels() {
        checkGradients([randomTensor([2, 2, 3, 4], seed: 50), randomTensor([2, 3, 3, 4], seed: 51), randomTensor([2, 1, 3, 4], seed: 52)]) {
            Tensor.concat([$0[0], $0[1], $0[2]], axis: 1)
        }
    }

    @Test func softmaxOverEitherAxisOfAMatrix() {
        checkGradients([randomTensor([5, 4], seed: 53)]) { $0[0].softmax(axis: 0) }
        checkGradients([randomTensor([5, 4], seed: 54)]) { $0[0].softmax(axis: 1) }
        let columns = randomTensor([5, 4], seed: 55).softmax(axis: 0).values
        for j in 0..<4 { #expect(abs((0..<5).reduce(Float(0)) { $0 + columns[$1 * 4 + j] } - 1) < 1e-6) }
    }

    /// eps is the layer's own (GoogLeNet's BasicConv2d uses 1e-3): on a channel whose variance is of the
    /// order of eps, the output must be (x - mean) / sqrt(var + 1e-3), which 1e-5 would miss by far.
    @Test func batchNormWithItsOwnEps() {
        let x = randomTensor([2, 3, 2, 2], seed: 56, scale: 0.03)
        let bn = BatchNorm(3, eps: 1e-3)
        let y = bn(x).values, xv = x.values
        for c in 0..<3 {
            let idx = (0..<2).flatMap { n in (0..<4).map { (n * 3 + c) * 4 + $0 } }
            let mean = idx.reduce(0.0) { $0 + Double(xv[$1]) } / 8
            let variance = idx.reduce(0.0) { $0 + (Double(xv[$1]) - mean) * (Double(xv[$1]) - mean) } / 8
            for i in idx { #expect(abs(Double(y[i]) - (Double(xv[i]) - mean) / (variance + 1e-3).squareRoot()) < 1e-5) }
        }
        let rm = Tensor(zeros: [3]), rv = Tensor(repeating: 1, shape: [3])
        checkGradients([randomTensor([2, 3, 2, 3], seed: 57, scale: 0.05), uniformTensor([3], 0.5, 1.5, seed: 58), randomTensor([3], seed: 59)],
                       step: 1e-3) {
            $0[0].batchNorm(weight: $0[1], bias: $0[2], runningMean: rm, runningVar: rv, training: true, eps: 1e-3)
        }
    }
}
