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

    public func step() {
        steps += 1
        let t = Float(steps)
        let bias1 = 1 - powf(beta1, t), bias2 = 1 - powf(beta2, t)
        let stepSize = learningRate / bias1
        let bias2Root = bias2.squareRoot()
        let (b1, b2, lr, wd, eps, decoupled) = (beta1, beta2, learningRate, weightDecay, eps, self.decoupled)
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            let pp = p.storage.pointer, pg = g.storage.pointer
            let pm = m[i].storage.pointer, pv = v[i].storage.pointer
            // Weight decay applied in its own pass keeps the update loop branch-free (vectorised).
            if decoupled && wd != 0 {
                parallelChunks(p.count, grain: 16_384) { s, e in for j in s..<e { pp[j] *= 1 - lr * wd } }
            }
            let l2 = decoupled ? 0 : wd
            parallelChunks(p.count, grain: 16_384) { s, e in
                for j in s..<e {
                    let grad = pg[j] + l2 * pp[j]
                    let mj = b1 * pm[j] + (1 - b1) * grad
                    let vj = b2 * pv[j] + (1 - b2) * grad * grad
                    pm[j] = mj
                    pv[j] = vj
                    pp[j] -= stepSize * mj / (vj.squareRoot() / bias2Root + eps)
                }
            }
        }
    }
}
