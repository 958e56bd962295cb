/// SGD with optional momentum and L2 weight decay, as `torch.optim.SGD` (dampening 0, no Nesterov):
/// g += wd * p; buf = momentum * buf + g (buf = g on the first step); p -= lr * buf.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float, weightDecay: Float
    let parameters: [Tensor]
    private var buffers: [Tensor?]

    public init(_ parameters: [Tensor], lr: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.parameters = parameters
        learningRate = lr
        self.momentum = momentum
        self.weightDecay = weightDecay
        buffers = Array(repeating: nil, count: parameters.count)
    }

    public func step() {
        let (lr, mu, wd) = (learningRate, momentum, weightDecay)
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            let pp = p.storage.pointer, pg = g.storage.pointer
            if mu == 0 {
                for j in 0..<p.count { pp[j] -= lr * (pg[j] + wd * pp[j]) }
                continue
            }
            let first = buffers[i] == nil
            if first { buffers[i] = Tensor(zeros: p.shape) }
            let pb = buffers[i]!.storage.pointer
            for j in 0..<p.count {
                let grad = pg[j] + wd * pp[j]
                pb[j] = first ? grad : mu * pb[j] + grad
                pp[j] -= lr * pb[j]
            }
        }
    }
}
