/// An optimizer updates parameters in place from their accumulated `grad`; parameters without a
/// gradient are left alone, as PyTorch.
public protocol Optimizer: AnyObject {
    var learningRate: Float { get set }
    func step()
}

/// Clips the global L2 norm of all gradients to `maxNorm` as `torch.nn.utils.clip_grad_norm_`:
/// every gradient is scaled by min(1, maxNorm / (norm + 1e-6)). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    var total = 0.0
    for p in parameters {
        guard let g = p.grad else { continue }
        let pg = g.storage.pointer
        var s: Float = 0
        for i in 0..<g.count { s += pg[i] * pg[i] }
        total += Double(s)
    }
    let norm = Float(total.squareRoot())
    let coefficient = Swift.min(1, maxNorm / (norm + 1e-6))
    for p in parameters {
        guard let g = p.grad else { continue }
        let pg = g.storage.pointer
        for i in 0..<g.count { pg[i] *= coefficient }
    }
    return norm
}

/// True when every gradient is finite (the trainer skips a step otherwise).
public func gradientsAreFinite(_ parameters: [Tensor]) -> Bool {
    for p in parameters {
        guard let g = p.grad else { continue }
        let pg = g.storage.pointer
        for i in 0..<g.count where !pg[i].isFinite { return false }
    }
    return true
}
