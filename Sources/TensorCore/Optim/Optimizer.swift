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
    let norm = gradientNorm(parameters)
    let coefficient = clipCoefficient(norm: norm, maxNorm: maxNorm)
    guard coefficient < 1 else { return norm }
    for p in parameters {
        guard let g = p.grad else { continue }
        let pg = g.storage.pointer
        parallelChunks(g.count) { s, e in for i in s..<e { pg[i] *= coefficient } }
    }
    return norm
}

/// The global L2 norm of all gradients, as `clip_grad_norm_` measures it. Any NaN or infinite gradient
/// makes it NaN or infinite, so a finite norm also proves every gradient finite; a non-finite norm can
/// still come from finite gradients whose squares overflow (`gradientsAreFinite` tells them apart).
public func gradientNorm(_ parameters: [Tensor]) -> Float {
    var total = 0.0
    for p in parameters {
        guard let g = p.grad else { continue }
        total += blockwise(g) { start, count in Double(vectorSumOfSquares(start, shift: 0, count)) }.reduce(0, +)
    }
    return Float(total.squareRoot())
}

/// The factor `clip_grad_norm_` scales every gradient by for a global norm `norm`: min(1, maxNorm / (norm + 1e-6)).
public func clipCoefficient(norm: Float, maxNorm: Float) -> Float {
    Swift.min(1, maxNorm / (norm + 1e-6))
}

/// True when every gradient is finite (the trainer skips a step otherwise).
public func gradientsAreFinite(_ parameters: [Tensor]) -> Bool {
    parameters.allSatisfy { p in
        guard let g = p.grad else { return true }
        return blockwise(g, vectorAllFinite).allSatisfy { $0 }
    }
}

/// `body(start, count)` on consecutive blocks of 64k elements of `t`, in parallel; one result per block,
/// in block order (so sums combined from them do not depend on the thread count).
private func blockwise<R>(_ t: Tensor, _ body: (UnsafePointer<Float>, Int) -> R) -> [R] {
    let block = 65_536, n = t.count
    let blocks = (n + block - 1) / block
    guard blocks > 0 else { return [] }
    let base = UnsafePointer(t.storage.pointer)
    return [R](unsafeUninitializedCapacity: blocks) { out, initialized in
        let shared = UncheckedSendable(out.baseAddress!)
        parallelChunks(blocks, grain: 1) { s, e in
            for b in s..<e { (shared.value + b).initialize(to: body(base + b * block, Swift.min(block, n - b * block))) }
        }
        initialized = blocks
    }
}
