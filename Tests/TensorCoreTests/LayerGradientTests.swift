import Testing
@testable import TensorCore

@Suite("Normalisation, convolution and shape-op gradients") struct LayerGradientTests {
    /// The fused bias + product of `linear`, for 2-D and 3-D inputs, and the same values as matmul + add.
    @Test(arguments: [[3, 4], [2, 3, 4]]) func linearWithBias(_ shape: [Int]) {
        checkGradients([randomTensor(shape, seed: 40), randomTensor([5, 4], seed: 41), randomTensor([5], seed: 42)]) {
            $0[0].linear(weight: $0[1], bias: $0[2])
        }
        let (x, w, b) = (randomTensor(shape, seed: 43), randomTensor([5, 4], seed: 44), randomTensor([5], seed: 45))
        let composed = x.matmul(w, transposeOther: true) + b
        #expect(zip(x.linear(weight: w, bias: b).values, composed.values).allSatisfy { abs($0 - $1) <= 1e-6 })
    }

    @Test func layerNorm() {
        checkGradients([randomTensor([2, 3, 6], seed: 1), uniformTensor([6], 0.5, 1.5, seed: 2), randomTensor([6], seed: 3)]) {
            $0[0].layerNorm(weight: $0[1], bias: $0[2])
        }
        checkGradients([randomTensor([4, 5], seed: 4)]) { $0[0].layerNorm(weight: nil, bias: nil) }
        // Rows wider than the sixteen-lane sums (a vector part and a tail), and each parameter alone.
        checkGradients([randomTensor([3, 37], seed: 11), uniformTensor([37], 0.5, 1.5, seed: 12), randomTensor([37], seed: 13)]) {
            $0[0].layerNorm(weight: $0[1], bias: $0[2])
        }
        checkGradients([randomTensor([3, 37], seed: 14), uniformTensor([37], 0.5, 1.5, seed: 15)]) {
            $0[0].layerNorm(weight: $0[1], bias: nil)
        }
        checkGradients([randomTensor([3, 37], seed: 16), randomTensor([37], seed: 17)]) {
            $0[0].layerNorm(weight: nil, bias: $0[1])
        }
    }

    /// The fused affine step gives what normalising and then scaling and shifting gives, and rows are
    /// normalised to mean 0 and variance 1 (biased, as PyTorch) at a width with a vector part and a tail.
    @Test func layerNormValues() {
        let x = randomTensor([5, 53], seed: 18, scale: 3)
        let w = uniformTensor([53], 0.5, 1.5, seed: 19), b = randomTensor([53], seed: 20)
        let plain = x.layerNorm(weight: nil, bias: nil)
        let fused = x.layerNorm(weight: w, bias: b)
        let composed = plain * w + b
        #expect(zip(fused.values, composed.values).allSatisfy { abs($0 - $1) <= 1e-6 })
        for r in 0..<5 {
            let row = plain.values[(r * 53)..<((r + 1) * 53)].map(Double.init)
            let mean = row.reduce(0, +) / 53
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 53
            #expect(abs(mean) < 1e-6 && abs(variance - 1) < 1e-4)
        }
    }

    @Test(arguments: [[6, 3], [3, 4, 5], [2, 3, 4, 2]]) func batchNormTraining(_ shape: [Int]) {
        let c = shape[1]
        let rm = Tensor(zeros: [c]), rv = Tensor(repeating: 1, shape: [c])
        checkGradients([randomTensor(shape, seed: 5), uniformTensor([c], 0.5, 1.5, seed: 6), randomTensor([c], seed: 7)]) {
            $0[0].batchNorm(weight: $0[1], bias: $0[2], runningMean: rm, runningVar: rv, training: true)
        }
        let rm2 = Tensor(zeros: [c]), rv2 = Tensor(repeating: 1, shape: [c])
        checkGradients([randomTensor(shape, seed: 8), uniformTensor([c], 0.5, 1.5, seed: 9), randomTensor([c], seed: 10)]) {
            $0[0].batchNorm(weight: $0[1], bias: $0[2], runningMean: rm2, runningVar: rv2, training: false)
        }
    }

    struct ConvCase: Sendable, CustomTestStringConvertible {
        let input: [Int], weight: [Int], stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
        var testDescription: String { "x\(input) w\(weight) s\(stride) p\(padding) d\(dilation)" }
    }
    static let convCases: [ConvCase] = [
        ConvCase(input: [2, 1, 6, 4], weight: [3, 1, 3, 1], stride: (1, 1), padding: (1, 0), dilation: (1, 1)),  // column fast path
        ConvCase(input: [2, 2, 7, 3], weight: [3, 2, 5, 1], stride: (1, 1), padding: (2, 0), dilation: (1, 1)),  // column, k 5
        ConvCase(input: [1, 2, 8, 2], weight: [2, 2, 3, 1], stride: (1, 1), padding: (2, 0), dilation: (2, 1)),  // column, dilated
        ConvCase(input: [2, 2, 5, 4], weight: [3, 2, 3, 3], stride: (1, 1), padding: (1, 1), dilation: (1, 1)),  // im2col 3x3
        ConvCase(input: [1, 2, 7, 6], weight: [2, 2, 3, 3], stride: (2, 2), padding: (1, 1), dilation: (1, 1)),  // strided
        ConvCase(input: [1, 2, 7, 7], weight: [2, 2, 3, 2], stride: (1, 2), padding: (2, 1), dilation: (2, 1)),  // mixed
    ]

    @Test(arguments: convCases) func conv2d(_ c: ConvCase) {
        checkGradients([randomTensor(c.input, seed: 11), randomTensor(c.weight, seed: 12), randomTensor([c.weight[0]], seed: 13)]) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], stride: c.stride, padding: c.padding, dilation: c.dilation)
        }
    }

    @Test func columnFastPathMatchesIm2col() {
        // The same (3,1) convolution through both kernels: the column path, and im2col forced by a
        // width-1 padding that is then cropped away.
        let x = randomTensor([2, 3, 9, 4], seed: 14), w = randomTensor([5, 3, 3, 1], seed: 15), b = randomTensor([5], seed: 16)
        let fast = x.conv2d(weight: w, bias: b, padding: (1, 0))
        let slow = x.conv2d(weight: w, bias: b, padding: (1, 1)).slice(axis: 3, start: 1, length: 4)
        for (p, q) in zip(fast.values, slow.values) { #expect(abs(p - q) < 1e-5) }
    }

    @Test func conv1d() {
        checkGradients([randomTensor([2, 3, 7], seed: 17), randomTensor([4, 3, 3], seed: 18), randomTensor([4], seed: 19)]) {
            $0[0].conv1d(weight: $0[1], bias: $0[2], padding: 1)
        }
        checkGradients([randomTensor([2, 3, 8], seed: 20), randomTensor([4, 3, 3], seed: 21), randomTensor([4], seed: 22)]) {
            $0[0].conv1d(weight: $0[1], bias: $0[2], stride: 2, padding: 2, dilation: 2)
        }
    }

    @Test func shapeOps() {
        checkGradients([randomTensor([2, 3, 4], seed: 23)]) { $0[0].permuted([2, 0, 1]) }
        checkGradients([randomTensor([2, 3, 4], seed: 24)]) { $0[0].reshaped([6, -1]) * $0[0].reshaped([6, 4]) }
        checkGradients([randomTensor([2, 5, 3], seed: 25)]) { $0[0].slice(axis: 1, start: 1, length: 3) }
        checkGradients([randomTensor([2, 5, 3], seed: 26)]) { $0[0].split(axis: 1, sizes: [2, 3])[1] * 2 }
        checkGradients([randomTensor([2, 2, 3], seed: 27), randomTensor([2, 1, 3], seed: 28)]) { Tensor.concat([$0[0], $0[1]], axis: 1) }
        checkGradients([randomTensor([2, 3], seed: 29), randomTensor([2, 2], seed: 30)]) { Tensor.concat([$0[0], $0[1], $0[0]], axis: -1) }
        #expect(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).transposed().values == [1, 4, 2, 5, 3, 6])
    }

    @Test func interpolation() {
        checkGradients([randomTensor([2, 10, 3], seed: 31)]) { $0[0].interpolateLinear(axis: 1, length: 7) }
        checkGradients([randomTensor([2, 3, 10], seed: 32)]) { $0[0].interpolateLinear(axis: 2, length: 13) }
        // Same length is the identity.
        let x = randomTensor([2, 6], seed: 33)
        #expect(x.interpolateLinear(axis: 1, length: 6).values == x.values)
    }

    @Test func bandAggregateMatchesDenseProduct() {
        let (b, t, c) = (2, 6, 3)
        let coefficients = uniformTensor([b, t, 3], 0.1, 1, seed: 34)
        checkGradients([randomTensor([b, t, c], seed: 35)]) { $0[0].bandAggregate(coefficients: coefficients, radius: 1) }
        checkGradients([randomTensor([b, t, c], seed: 36), randomTensor([c], seed: 37)]) {
            $0[0].bandAggregate(coefficients: coefficients, radius: 1, bias: $0[1])
        }
        // Against the dense (T, T) band matrix.
        let x = randomTensor([b, t, c], seed: 36)
        var dense = [Float](repeating: 0, count: b * t * t)
        let k = coefficients.values
        for bi in 0..<b { for i in 0..<t { for o in -1...1 where i + o >= 0 && i + o < t {
            dense[bi * t * t + i * t + i + o] = k[(bi * t + i) * 3 + o + 1]
        } } }
        let expected = Tensor(dense, shape: [b, t, t]).matmul(x).values
        for (p, q) in zip(x.bandAggregate(coefficients: coefficients, radius: 1).values, expected) { #expect(abs(p - q) < 1e-5) }
        // The bias lands on every row, as a separate add would put it.
        let bias = randomTensor([c], seed: 38)
        let withBias = x.bandAggregate(coefficients: coefficients, radius: 1, bias: bias).values
        for (p, q) in zip(withBias, (x.bandAggregate(coefficients: coefficients, radius: 1) + bias).values) { #expect(abs(p - q) < 1e-6) }
    }

    @Test func attentionLayerGradients() {
        let attention = MultiheadAttention(embedDim: 4, heads: 2, rng: RandomSource(seed: 1))
        let keyMask = mask([[1, 1, 1], [1, 1, 0]])
        let params = attention.parameters()
        // The parameters are perturbed in place, so the layer sees each finite-difference step.
        checkGradients([randomTensor([2, 3, 4], seed: 37)] + params) { inputs in
            attention(query: inputs[0], key: inputs[0], value: inputs[0], keyMask: keyMask)
        }
    }
}

@Suite("Edge-list aggregation") struct EdgeListAggregationTests {
    // Frames at most 2 apart (self-loops included) over 5 nodes, as the graph models build them.
    static let edges: [(Int, Int)] = (0..<5).flatMap { i in (-2...2).compactMap { d in (0..<5).contains(i + d) ? (i + d, i) : nil } }

    @Test func meanAndMaxGradients() {
        let sources = Self.edges.map(\.0), targets = Self.edges.map(\.1)
        checkGradients([randomTensor([5, 3], seed: 40)]) {
            $0[0].aggregateNeighbours(sources: sources, targets: targets, nodes: 5, reduction: .mean)
        }
        // Distinct values far apart relative to the step, so the arg-max does not change under perturbation.
        let distinct = Tensor((0..<15).map { Float(($0 * 7) % 15) * 0.1 }, shape: [5, 3])
        checkGradients([distinct], step: 1e-3) {
            $0[0].aggregateNeighbours(sources: sources, targets: targets, nodes: 5, reduction: .max)
        }
    }

    @Test func valuesAgainstBruteForce() {
        let x = randomTensor([5, 3], seed: 41)
        let v = x.values
        let sources = Self.edges.map(\.0), targets = Self.edges.map(\.1)
        let mean = x.aggregateNeighbours(sources: sources, targets: targets, nodes: 6, reduction: .mean).values
        let max = x.aggregateNeighbours(sources: sources, targets: targets, nodes: 6, reduction: .max).values
        for i in 0..<5 {
            let neighbours = Self.edges.filter { $0.1 == i }.map(\.0)
            for j in 0..<3 {
                let xs = neighbours.map { v[$0 * 3 + j] }
                #expect(abs(mean[i * 3 + j] - xs.reduce(0, +) / Float(xs.count)) < 1e-6)
                #expect(max[i * 3 + j] == xs.max()!)
            }
        }
        // Node 5 has no incoming edge: zeros.
        #expect(Array(mean[15..<18]) == [0, 0, 0] && Array(max[15..<18]) == [0, 0, 0])
    }
}
