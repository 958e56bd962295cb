/// Nystrom self-attention (Xiong et al. 2021) as lucidrains' `nystrom-attention` package computes it,
/// the token mixer of EDSNet's `nystromformer` base model. State keys as that module's `state_dict`:
/// `to_qkv.weight`, `to_out.0.weight`, `to_out.0.bias`, `res_conv.weight`.
///
/// For a sequence x (n, dim), without a mask (EDSNet passes none):
/// - x is zero-padded at the FRONT to a multiple of the landmark count m (the padded rows take part in
///   everything below, exactly as in the package: their keys are 0, so they enter the key softmaxes with
///   logit 0, and their values are 0 but still feed the residual convolution of their neighbours);
/// - q, k, v = to_qkv(x) split into heads; q is scaled by head_dim^-1/2;
/// - landmarks: the plain mean of ceil(n / m) consecutive rows of q and of k (padded rows included);
/// - A1 = softmax(q kLᵀ), A2 = softmax(qL kLᵀ), A3 = softmax(qL kᵀ), each over its last axis;
/// - out = (A1 pinv(A2)) (A3 v) + depthwise_conv_k(v), with pinv the iterative Moore-Penrose
///   approximation below, heads merged, to_out, and the padded rows dropped.
public final class NystromAttention: Module {
    public let toQKV: Linear
    public let toOut: Linear
    public let residual: DepthwiseTemporalConv
    public let heads: Int
    public let headDim: Int
    public let landmarks: Int
    public let pinvIterations: Int
    public var isTraining = true

    public init(dim: Int, heads: Int, headDim: Int, landmarks: Int, pinvIterations: Int = 6, residualKernel: Int = 33,
                rng: RandomSource) {
        checkArgument(heads >= 1 && headDim >= 1 && landmarks >= 1 && residualKernel % 2 == 1,
                      "NystromAttention: heads \(heads), head_dim \(headDim), landmarks \(landmarks), odd kernel \(residualKernel)")
        self.heads = heads
        self.headDim = headDim
        self.landmarks = landmarks
        self.pinvIterations = pinvIterations
        toQKV = Linear(dim, 3 * heads * headDim, bias: false, rng: rng)
        toOut = Linear(heads * headDim, dim, rng: rng)
        residual = DepthwiseTemporalConv(channels: heads, kernel: residualKernel, rng: rng)
    }

    public var children: [(String, any Module)] { [("to_qkv", toQKV), ("to_out.0", toOut), ("res_conv", residual)] }

    /// Rows of zero padding in front of a sequence of n rows.
    public func frontPadding(_ n: Int) -> Int { n % landmarks == 0 ? 0 : landmarks - n % landmarks }

    /// x (n, dim) -> (n, dim).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        checkArgument(x.rank == 2, "NystromAttention: needs one sequence (n, dim), got \(x.shape)")
        let n = x.shape[0], dim = x.shape[1], (h, d, m) = (heads, headDim, landmarks)
        let pad = frontPadding(n), padded = n + pad
        let xp = pad > 0 ? Tensor.concat([Tensor(zeros: [pad, dim]), x], axis: 0) : x
        let qkv = toQKV(xp).split(axis: 1, sizes: [h * d, h * d, h * d])
        // (padded, h d) -> (h, padded, d)
        let (q0, k, v) = (qkv[0], qkv[1], qkv[2])
        let heads3 = { (t: Tensor) in t.reshaped([padded, h, d]).permuted([1, 0, 2]) }
        let q = heads3(q0) * (1 / Float(d).squareRoot())
        let keys = heads3(k), values = heads3(v)
        let rowsPerLandmark = padded / m   // = ceil(n / m)
        let qL = q.reshaped([h, m, rowsPerLandmark, d]).mean(axis: 2)
        let kL = keys.reshaped([h, m, rowsPerLandmark, d]).mean(axis: 2)
        let a1 = q.matmul(kL, transposeOther: true).softmax(axis: -1)        // (h, padded, m)
        let a2 = qL.matmul(kL, transposeOther: true).softmax(axis: -1)       // (h, m, m)
        let a3 = qL.matmul(keys, transposeOther: true).softmax(axis: -1)     // (h, m, padded)
        let a2Inverse = NystromAttention.iterativePseudoInverse(a2, iterations: pinvIterations)
        var out = a1.matmul(a2Inverse).matmul(a3.matmul(values))           // (h, padded, d)
        out = out + residual(values.reshaped([1, h, padded, d])).reshaped([h, padded, d])
        let merged = toOut(out.permuted([1, 0, 2]).reshaped([padded, h * d]))
        return pad > 0 ? merged.slice(axis: 0, start: pad, length: n) : merged
    }

    /// The Newton-Schulz-type iteration of the package's `moore_penrose_iter_pinv`, for a batch of square
    /// matrices x (..., m, m): z0 = xᵀ / (max_i sum_j |x_ij| * max_j sum_i |x_ij|) with both maxima taken
    /// over the WHOLE batch (every head at once, as the package does), then
    /// z <- 1/4 z (13 I - xz (15 I - xz (7 I - xz))) `iterations` times. Differentiable through every step,
    /// the initial scale included. The callers' x are softmax rows, non-negative, so |x| = x is used.
    public static func iterativePseudoInverse(_ x: Tensor, iterations: Int) -> Tensor {
        checkArgument(x.rank >= 2 && x.shape[x.rank - 1] == x.shape[x.rank - 2],
                      "iterativePseudoInverse: needs square matrices, got \(x.shape)")
        let m = x.shape[x.rank - 1]
        let rowSums = x.sum(axis: -1).reshaped([-1]).max(axis: 0)
        let columnSums = x.sum(axis: -2).reshaped([-1]).max(axis: 0)
        var z = x.transposed(-2, -1) / (rowSums * columnSums)
        var eye = [Float](repeating: 0, count: m * m)
        for i in 0..<m { eye[i * m + i] = 1 }
        let identity = Tensor(eye, shape: [m, m])
        let (i7, i13, i15) = (identity * 7, identity * 13, identity * 15)
        for _ in 0..<iterations {
            let xz = x.matmul(z)
            let inner = i15 - xz.matmul(i7 - xz)
            z = (z * 0.25).matmul(i13 - xz.matmul(inner))
        }
        return z
    }
}

/// A depthwise (groups = channels) Conv2d with a (k, 1) kernel and no bias, keeping the length
/// (padding k // 2): weight (channels, 1, k, 1) as PyTorch stores it.
public final class DepthwiseTemporalConv: Module {
    public let weight: Tensor
    public let kernel: Int
    public var isTraining = true

    public init(channels: Int, kernel: Int, rng: RandomSource) {
        self.kernel = kernel
        weight = Initializer.parameter(Initializer.fanInUniform([channels, 1, kernel, 1], fanIn: kernel, rng: rng))
    }

    public var ownParameters: [(String, Tensor)] { [("weight", weight)] }

    /// x (B, channels, N, D) -> (B, channels, N, D).
    public func callAsFunction(_ x: Tensor) -> Tensor { x.depthwiseTemporalConv(weight: weight, padding: kernel / 2) }
}
