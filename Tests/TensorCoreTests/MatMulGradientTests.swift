import Testing
@testable import TensorCore

@Suite("Matrix product gradients") struct MatMulGradientTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func plain(_ ta: Bool, _ tb: Bool) {
        let a = randomTensor(ta ? [4, 3] : [3, 4], seed: 1), b = randomTensor(tb ? [5, 4] : [4, 5], seed: 2)
        checkGradients([a, b]) { $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb) }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func batched(_ ta: Bool, _ tb: Bool) {
        let a = randomTensor(ta ? [2, 3, 4, 3] : [2, 3, 3, 4], seed: 3)
        let b = randomTensor(tb ? [2, 3, 5, 4] : [2, 3, 4, 5], seed: 4)
        checkGradients([a, b]) { $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb) }
    }

    @Test(arguments: [false, true])
    func sharedRightOperand(_ tb: Bool) {
        let a = randomTensor([2, 3, 4], seed: 5), b = randomTensor(tb ? [5, 4] : [4, 5], seed: 6)
        checkGradients([a, b]) { $0[0].matmul($0[1], transposeOther: tb) }
    }

    @Test func valuesAgainstBruteForce() {
        let a = randomTensor([2, 3, 4], seed: 7), b = randomTensor([2, 4, 5], seed: 8)
        let c = a.matmul(b).values
        let av = a.values, bv = b.values
        for n in 0..<2 { for i in 0..<3 { for j in 0..<5 {
            var s: Float = 0
            for k in 0..<4 { s += av[n * 12 + i * 4 + k] * bv[n * 20 + k * 5 + j] }
            #expect(abs(c[n * 15 + i * 5 + j] - s) < 1e-5)
        } } }
    }

    @Test func linearWithBias() {
        checkGradients([randomTensor([2, 3, 5], seed: 9), randomTensor([4, 5], seed: 10), randomTensor([4], seed: 11)]) {
            $0[0].linear(weight: $0[1], bias: $0[2])
        }
    }

    @Test func countsFlopsOfThisTaskExactly() {
        // A scope sees only its own task's products, so the count is exact while other tests run.
        let (_, outer) = Accounting.countingFlops {
            _ = randomTensor([8, 16], seed: 1).matmul(randomTensor([16, 4], seed: 2))
            let (_, inner) = Accounting.countingFlops {
                // 3x3 convolution, padding 1: one (O x C*9) by (C*9 x H*W) product per image.
                _ = randomTensor([2, 3, 5, 6], seed: 3).conv2d(weight: randomTensor([4, 3, 3, 3], seed: 4), bias: nil,
                                                                padding: (1, 1))
            }
            #expect(inner == 2 * 2 * 4 * 27 * 30)
        }
        #expect(outer == 2 * 8 * 16 * 4 + 2 * 2 * 4 * 27 * 30)
    }
}
