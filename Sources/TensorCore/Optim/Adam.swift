import CKernels
import Foundation

/// Adam and AdamW with PyTorch's semantics: Adam adds `weightDecay * p` to the gradient (L2); AdamW
/// (`decoupled`) shrinks the parameter by `lr * weightDecay` before the update.
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    public let decoupled: Bool
    let parameters: [Tensor]
    private var m: [Tensor], v: [Tensor]
    private var steps = 0

    public init(_ parameters: [Tensor], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
                weightDecay: Float = 0, decoupled: Bool = false) {
        self.parameters = parameters
        learningRate = lr
        (beta1, beta2) = betas
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        m = parameters.map { Tensor(zeros: $0.shape) }
        v = parameters.map { Tensor(zeros: $0.shape) }
    }

    /// AdamW: `torch.optim.AdamW` (default weight decay there is 1e-2; here it is always explicit).
    public static func adamW(_ parameters: [Tensor], lr: Float, weightDecay: Float,
                             betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8) -> Adam {
        Adam(parameters, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, decoupled: true)
    }

    public func step() { step(gradientScale: 1) }

    /// One update from every gradient times `gradientScale` (a gradient-norm clip's coefficient): the same
    /// bits as scaling the gradients in place and then stepping, in one pass over the parameters instead
    /// of two. The stored gradients are left unscaled.
    public func step(gradientScale: Float) {
        steps += 1
        let t = Float(steps)
        let bias1 = 1 - powf(beta1, t), bias2 = 1 - powf(beta2, t)
        let stepSize = learningRate / bias1
        let bias2Root = bias2.squareRoot()
        var constants = CKAdamStep(beta1: beta1, beta2: beta2, step_size: stepSize, bias2_root: bias2Root, eps: eps,
                                   l2: decoupled ? 0 : weightDecay, decay: decoupled ? 1 - learningRate * weightDecay : 1,
                                   grad_scale: gradientScale)
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            let pp = p.storage.pointer, pg = UnsafePointer(g.storage.pointer)
            let pm = m[i].storage.pointer, pv = v[i].storage.pointer
            // Chunks split at multiples of 16 elements keep every chunk's p, m and v on 64-byte boundaries,
            // where the kernel's streaming stores start at once.
            withUnsafePointer(to: &constants) { step in
                let shared = UncheckedSendable(step)
                parallelChunks((p.count + 15) / 16, grain: 1024) { s, e in
                    let start = s * 16, end = Swift.min(p.count, e * 16)
                    ck_adam_update(pp + start, pg + start, pm + start, pv + start, end - start, shared.value)
                }
            }
        }
    }
}
