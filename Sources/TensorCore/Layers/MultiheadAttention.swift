/// `nn.MultiheadAttention` with `batch_first = True`: packed `in_proj_weight` (3E, E) and `in_proj_bias`
/// (3E) for query, key and value, `out_proj` Linear E -> E, scores scaled by 1/sqrt(head dim), padded
/// keys excluded from the softmax, dropout on the attention weights in training.
public final class MultiheadAttention: Module {
    public let embedDim: Int, heads: Int
    public let inProjWeight: Tensor, inProjBias: Tensor
    public let outProj: Linear
    public let dropoutP: Float
    let rng: RandomSource
    public var isTraining = true

    public init(embedDim: Int, heads: Int, dropout: Float = 0, rng: RandomSource) {
        checkArgument(embedDim % heads == 0, "MultiheadAttention: embed dim \(embedDim) not divisible by \(heads) heads")
        self.embedDim = embedDim
        self.heads = heads
        inProjWeight = Initializer.parameter(Initializer.xavierUniform([3 * embedDim, embedDim], rng: rng))
        inProjBias = Initializer.parameter(Tensor(zeros: [3 * embedDim]))
        outProj = Linear(embedDim, embedDim, rng: rng)
        outProj.bias!.assign(from: Tensor(zeros: [embedDim]))
        dropoutP = dropout
        self.rng = rng
    }

    public var ownParameters: [(String, Tensor)] { [("in_proj_weight", inProjWeight), ("in_proj_bias", inProjBias)] }
    public var children: [(String, any Module)] { [("out_proj", outProj)] }

    /// query (B, L, E), key and value (B, S, E), keyMask (B, S) with 1 = real frame, 0 = padding.
    public func callAsFunction(query: Tensor, key: Tensor, value: Tensor, keyMask: Tensor?) -> Tensor {
        let e = embedDim
        checkArgument(query.rank == 3 && query.shape[2] == e && key.shape == value.shape && key.rank == 3
                     && key.shape[2] == e && key.shape[0] == query.shape[0],
                     "MultiheadAttention: query \(query.shape), key \(key.shape), value \(value.shape) for embed dim \(e)")
        let (b, l, s) = (query.shape[0], query.shape[1], key.shape[1])
        let hd = e / heads
        let q: Tensor, k: Tensor, v: Tensor
        if query === key && key === value {
            let qkv = query.linear(weight: inProjWeight, bias: inProjBias).split(axis: 2, sizes: [e, e, e])
            (q, k, v) = (qkv[0], qkv[1], qkv[2])
        } else {
            let w = inProjWeight.split(axis: 0, sizes: [e, e, e]), bias = inProjBias.split(axis: 0, sizes: [e, e, e])
            q = query.linear(weight: w[0], bias: bias[0])
            k = key.linear(weight: w[1], bias: bias[1])
            v = value.linear(weight: w[2], bias: bias[2])
        }
        // (B, T, E) -> (B, heads, T, hd)
        func splitHeads(_ t: Tensor, _ len: Int) -> Tensor { t.reshaped([b, len, self.heads, hd]).permuted([0, 2, 1, 3]) }
        let qh = splitHeads(q, l) * (1 / Float(hd).squareRoot()), kh = splitHeads(k, s), vh = splitHeads(v, s)
        let scores = qh.matmul(kh, transposeOther: true)                       // (B, heads, L, S)
        let weights = scores.softmax(keyMask: keyMask).dropout(dropoutP, training: isTraining, rng: rng)
        let context = weights.matmul(vh).permuted([0, 2, 1, 3]).reshaped([b, l, e])
        return outProj(context)
    }
}
