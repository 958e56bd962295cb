/// y = x Wᵀ + b over the last axis, W of shape (out, in) as PyTorch's `nn.Linear`.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public var isTraining = true

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: RandomSource) {
        weight = Initializer.parameter(Initializer.fanInUniform([outFeatures, inFeatures], fanIn: inFeatures, rng: rng))
        self.bias = bias ? Initializer.parameter(Initializer.fanInUniform([outFeatures], fanIn: inFeatures, rng: rng)) : nil
    }

    public var ownParameters: [(String, Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight: weight, bias: bias) }
}

extension Tensor {
    /// x (..., in) x weight (out, in)ᵀ + bias (out).
    public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
        checkArgument(weight.rank == 2 && shape.last == weight.shape[1],
                     "linear: input \(shape) does not fit weight \(weight.shape)")
        let x = rank == 2 ? self : reshaped([-1, weight.shape[1]])
        let y = bias.map { x.affine(weight: weight, bias: $0) } ?? x.matmul(weight, transposeOther: true)
        return rank == 2 ? y : y.reshaped(Array(shape.dropLast()) + [weight.shape[0]])
    }

    /// x Wᵀ + b for x (rows, in), W (out, in), b (out) as one op: the bias is written into the output
    /// first and the product accumulates onto it (sgemm with beta 1), so there is no separate pass and
    /// no second output-sized tensor for the bias, forward or backward.
    func affine(weight: Tensor, bias: Tensor) -> Tensor {
        let (rows, inFeatures, outFeatures) = (shape[0], weight.shape[1], weight.shape[0])
        checkArgument(bias.shape == [outFeatures], "linear: bias of shape \(bias.shape) for weight \(weight.shape)")
        let out = Tensor.empty([rows, outFeatures])
        let pb = UnsafePointer(bias.storage.pointer), po = out.storage.pointer
        parallelChunks(rows, grain: Swift.max(1, 32_768 / Swift.max(outFeatures, 1))) { s, e in
            for r in s..<e { (po + r * outFeatures).update(from: pb, count: outFeatures) }
        }
        WeightPanels.product(m: rows, n: outFeatures, k: inFeatures, a: storage.pointer, lda: inFeatures, weight: weight,
                             form: .transposed, b: weight.storage.pointer, ldb: inFeatures, transB: true, c: po,
                             ldc: outFeatures, accumulate: true)
        let x = self
        return out.recorded(from: [x, weight, bias]) { g in
            [x.needsGrad ? g.matmul(weight) : nil,
             weight.needsGrad ? g.matmul(x, transposeSelf: true) : nil,
             bias.needsGrad ? bias.reducedGradient(g) : nil]
        }
    }
}
