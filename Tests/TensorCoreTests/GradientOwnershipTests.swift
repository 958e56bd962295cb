import Testing
@testable import TensorCore

/// Backward hands a parameter its gradient without copying when nothing else can see that tensor. These
/// check the cases where something can: each parameter's gradient must still be its own buffer, so
/// clipping or accumulating one in place never changes another, nor a tensor the caller holds.
@Suite("Gradient ownership") struct GradientOwnershipTests {
    func parameter(_ values: [Float]) -> Tensor {
        let p = Tensor(values, shape: [values.count])
        p.requiresGrad = true
        return p
    }

    @Test func seedIsNotAdopted() {
        let p = parameter([1, 2, 3])
        let seed = Tensor([0.5, 0.25, 2], shape: [3])
        p.backward(seed: seed)
        seed.storage.pointer[0] = 99
        #expect(p.grad!.values == [0.5, 0.25, 2])
    }

    @Test func gradientPassedToTwoParametersIsNotShared() {
        let a = parameter([1, 2]), b = parameter([3, 4])
        (a + b).sum().backward()
        a.grad!.storage.pointer[0] = 7
        #expect(b.grad!.values == [1, 1])
        #expect(a.grad!.storage !== b.grad!.storage)
    }

    @Test func gradientViewedByAnotherTensorIsNotShared() {
        // y = p + p.reshaped: the add passes one gradient on, the reshape views its buffer.
        let p = parameter([1, 2, 3, 4])
        let q = Tensor([1, 2, 3, 4], shape: [2, 2])
        q.requiresGrad = true
        let y = p.reshaped([2, 2]) + q
        (y * y).sum().backward()
        #expect(p.grad!.storage !== q.grad!.storage)
        p.grad!.storage.pointer[0] = -1
        #expect(q.grad!.values == [4, 8, 12, 16])
    }

    @Test func freshGradientIsAdoptedAndAccumulatesCorrectly() {
        let w = parameter([1, 2, 3])
        (w * w).sum().backward()
        #expect(w.grad!.values == [2, 4, 6])
        #expect(w.grad!.isOnlyViewOfStorage)
        (w * w).sum().backward()
        #expect(w.grad!.values == [4, 8, 12])
    }

    @Test func viewersCountFollowsTensorLifetimes() {
        let t = Tensor([1, 2, 3, 4], shape: [4])
        #expect(t.isOnlyViewOfStorage)
        do {
            let view = t.reshaped([2, 2])
            #expect(!t.isOnlyViewOfStorage)
            _ = view
        }
        #expect(t.isOnlyViewOfStorage)
    }
}
