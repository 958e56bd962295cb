import Testing
@testable import TensorCore

@Suite("Reduction and softmax gradients") struct ReductionGradientTests {
    @Test(arguments: [0, 1, 2]) func sumAxis(_ axis: Int) {
        checkGradients([randomTensor([2, 3, 4], seed: 1)]) { $0[0].sum(axis: axis) }
        checkGradients([randomTensor([2, 3, 4], seed: 2)]) { $0[0].mean(axis: axis, keepDims: true) }
    }

    @Test func sumAllAndSeveralAxes() {
        checkGradients([randomTensor([2, 3, 4], seed: 3)]) { $0[0].sum() }
        checkGradients([randomTensor([2, 3, 4], seed: 4)]) { $0[0].mean(axes: [0, 2]) }
        #expect(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).sum(axis: 1).values == [6, 15])
        #expect(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).sum(axis: 0).values == [5, 7, 9])
    }

    @Test(arguments: [0, 1, 2]) func maxAxis(_ axis: Int) {
        // Distinct values spaced further apart than the finite-difference step.
        let values = (0..<24).map { Float(($0 * 7) % 24) * 0.1 }
        checkGradients([Tensor(values, shape: [2, 3, 4])], step: 1e-3) { $0[0].max(axis: axis) }
    }

    @Test func softmaxPlainAndOverAxis() {
        checkGradients([randomTensor([2, 3, 5], seed: 5)]) { $0[0].softmax() }
        checkGradients([randomTensor([2, 3, 5], seed: 6)]) { $0[0].softmax(axis: 1) }
        let y = randomTensor([4, 6], seed: 7).softmax().sum(axis: 1).values
        for v in y { #expect(abs(v - 1) < 1e-6) }
    }

    @Test func softmaxWithKeyMask() {
        let keyMask = mask([[1, 1, 1, 0], [1, 0, 0, 0]])
        checkGradients([randomTensor([2, 3, 4], seed: 8)]) { $0[0].softmax(keyMask: keyMask) }
        let y = randomTensor([2, 3, 4], seed: 9).softmax(keyMask: keyMask).values
        for q in 0..<3 {
            #expect(y[q * 4 + 3] == 0)
            #expect(abs(y[12 + q * 4] - 1) < 1e-6)
        }
    }

    @Test func maskedMSEIgnoresPadding() {
        let m = mask([[1, 1, 0], [1, 0, 0]])
        let target = randomTensor([2, 3], seed: 10)
        checkGradients([randomTensor([2, 3], seed: 11)]) { Tensor.maskedMSE($0[0], target, mask: m) }
        let p = Tensor([1, 2, 100, 3, -50, 7], shape: [2, 3]), t = Tensor([0, 0, 0, 0, 0, 0], shape: [2, 3])
        #expect(abs(Tensor.maskedMSE(p, t, mask: m).item - (1 + 4 + 9) / 3) < 1e-6)
    }
}
