import CKernels
import Foundation
import Testing
@testable import TensorCore

/// The Adam update kernels (streaming-store AVX-512 and AVX2 bodies, the baseline loop) against the update
/// written out in double precision, at every level this CPU runs. The optimizer parity tests cover
/// PyTorch on small tensors; these cover the vector bodies, unaligned starts and tails.
@Suite("Adam kernels") struct AdamKernelTests {
    struct Reference {
        var p: [Double], m: [Double], v: [Double]

        mutating func step(_ g: [Float], _ s: CKAdamStep) {
            for i in p.indices {
                let grad = Double(g[i]) + Double(s.l2) * p[i]
                m[i] = Double(s.beta1) * m[i] + (1 - Double(s.beta1)) * grad
                v[i] = Double(s.beta2) * v[i] + (1 - Double(s.beta2)) * grad * grad
                p[i] = p[i] * Double(s.decay)
                    - Double(s.step_size) * m[i] / (v[i].squareRoot() / Double(s.bias2_root) + Double(s.eps))
            }
        }
    }

    /// Adam (L2) and AdamW (decay) constants for step t, as `Adam.step` builds them.
    static func constants(t: Float, adamW: Bool) -> CKAdamStep {
        let (lr, wd): (Float, Float) = (1e-2, 0.1)
        return CKAdamStep(beta1: 0.9, beta2: 0.999, step_size: lr / (1 - powf(0.9, t)), bias2_root: (1 - powf(0.999, t)).squareRoot(),
                          eps: 1e-8, l2: adamW ? 0 : wd, decay: adamW ? 1 - lr * wd : 1, grad_scale: 1)
    }

    /// A 64-byte aligned buffer, as tensors' storage is, so the vector bodies run after the head.
    static func buffer(_ values: [Float]) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: values.count * 4, alignment: 64)
        let typed = raw.bindMemory(to: Float.self, capacity: values.count)
        typed.initialize(from: values, count: values.count)
        return typed
    }

    @Test(arguments: [0, 1, 2], [false, true]) func kernelMatchesTheUpdate(_ level: Int32, _ adamW: Bool) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        // 1,003 elements from offset 3: a scalar head up to alignment, the vector body, a tail.
        let n = 1_003, offset = 3
        var rng = SeededGenerator(seed: 21)
        let initial = (0..<(n + offset)).map { _ in rng.uniform(-1, 1) }
        let p = Self.buffer(initial), m = Self.buffer(Array(repeating: 0, count: n + offset)), v = Self.buffer(Array(repeating: 0, count: n + offset))
        let g = Self.buffer(Array(repeating: 0, count: n + offset))
        defer { for b in [p, m, v, g] { b.deallocate() } }
        var reference = Reference(p: initial[offset...].map(Double.init), m: Array(repeating: 0, count: n), v: Array(repeating: 0, count: n))
        for t in 1...3 {
            let gradient = (0..<(n + offset)).map { _ in rng.uniform(-2, 2) }
            g.update(from: gradient, count: gradient.count)
            var step = Self.constants(t: Float(t), adamW: adamW)
            ck_adam_update_level(level, p + offset, g + offset, m + offset, v + offset, n, &step)
            reference.step(Array(gradient[offset...]), step)
        }
        let pv = Array(UnsafeBufferPointer(start: p, count: n + offset)), vv = Array(UnsafeBufferPointer(start: v, count: n + offset))
        let mv = Array(UnsafeBufferPointer(start: m, count: n + offset))
        let worstP = zip(pv[offset...], reference.p).map { abs(Double($0) - $1) }.max()!
        let worstV = zip(vv[offset...], reference.v).map { abs(Double($0) - $1) / Swift.max($1, 1e-6) }.max()!
        #expect(worstP < 1e-5, "level \(level): parameters off by \(worstP)")
        #expect(worstV < 1e-4, "level \(level): second moments off by \(worstV) (relative)")
        #expect(Array(pv[0..<offset]) == Array(initial[0..<offset]) && mv[0..<offset].allSatisfy { $0 == 0 }, "wrote before the start")
    }

    /// A gradient scale gives the bits of scaling the gradient in place first (clipGradientNorm's pass),
    /// then stepping with scale 1, at every level: head, vector body and tail.
    @Test(arguments: [0, 1, 2], [false, true]) func scaleMatchesScalingTheGradientFirst(_ level: Int32, _ adamW: Bool) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        let n = 1_003, offset = 5, scale: Float = 0.3711
        var rng = SeededGenerator(seed: 23)
        let initial = (0..<(n + offset)).map { _ in rng.uniform(-1, 1) }
        let zeros = [Float](repeating: 0, count: n + offset)
        let (p1, m1, v1) = (Self.buffer(initial), Self.buffer(zeros), Self.buffer(zeros))
        let (p2, m2, v2) = (Self.buffer(initial), Self.buffer(zeros), Self.buffer(zeros))
        let g = Self.buffer(zeros)
        defer { for b in [p1, m1, v1, p2, m2, v2, g] { b.deallocate() } }
        for t in 1...3 {
            let gradient = (0..<(n + offset)).map { _ in rng.uniform(-2, 2) }
            var scaled = Self.constants(t: Float(t), adamW: adamW)
            scaled.grad_scale = scale
            g.update(from: gradient, count: gradient.count)
            ck_adam_update_level(level, p1 + offset, g + offset, m1 + offset, v1 + offset, n, &scaled)
            #expect(Array(UnsafeBufferPointer(start: g, count: n + offset)) == gradient, "the stored gradient was changed")
            var plain = Self.constants(t: Float(t), adamW: adamW)
            g.update(from: gradient.map { $0 * scale }, count: gradient.count)
            ck_adam_update_level(level, p2 + offset, g + offset, m2 + offset, v2 + offset, n, &plain)
        }
        for (a, b) in [(p1, p2), (m1, m2), (v1, v2)] {
            #expect(Array(UnsafeBufferPointer(start: a, count: n + offset)) == Array(UnsafeBufferPointer(start: b, count: n + offset)),
                    "level \(level)")
        }
    }

    /// The optimizer over a tensor large enough to be split across threads matches the same reference.
    @Test func optimizerOnAParallelSplitTensor() {
        let n = 70_001
        var rng = SeededGenerator(seed: 22)
        let parameter = Tensor.uniform([n], low: -1, high: 1, rng: &rng)
        parameter.requiresGrad = true
        var reference = Reference(p: parameter.values.map(Double.init), m: Array(repeating: 0, count: n),
                                  v: Array(repeating: 0, count: n))
        let optimizer = Adam.adamW([parameter], lr: 1e-2, weightDecay: 0.1)
        for t in 1...2 {
            let g = Tensor.uniform([n], low: -2, high: 2, rng: &rng)
            parameter.grad = g
            optimizer.step()
            reference.step(g.values, Self.constants(t: Float(t), adamW: true))
        }
        let worst = zip(parameter.values, reference.p).map { abs(Double($0) - $1) }.max()!
        #expect(worst < 1e-5, "parameters off by \(worst)")
    }
}
