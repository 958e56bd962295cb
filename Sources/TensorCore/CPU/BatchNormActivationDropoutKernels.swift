import CKernels

/// Kernels of `batchNormActivationDropout`: x (outer, channels, inner) with inner = frames x rest, frame f
/// of image o being the `rest` contiguous elements from f rest, padded when `keepFrame[o frames + f]` is 0.

struct ActivationDropoutGeometry {
    let layout: ChannelLayout
    /// Frames per image along the masked axis (1 when there is no mask).
    let frames: Int
    /// 1 / (1 - p) with dropout active (`keep` given).
    let dropoutScale: Float
    var rest: Int { layout.inner / Swift.max(frames, 1) }
}

/// out = pad(dropout(F(x a + b))) with a, b the channel's batch-norm affine: the same float operations, in
/// the same order, as `batchNorm`, the activation's `unary`, `dropout` and `zeroingPadding` one after the
/// other (a = rstd gamma, b = beta - mean a; the kept value times keep scale; padded frames +0).
func activationDropoutKernel<F: UnaryFunction>(_: F.Type, _ x: UnsafePointer<Float>, _ stats: BatchNormStatistics,
                                               _ keep: UnsafePointer<UInt8>?, keepFrame: UnsafePointer<Float>?,
                                               _ out: UnsafeMutablePointer<Float>, _ g: ActivationDropoutGeometry) {
    let scale = g.dropoutScale
    let shared = UncheckedSendable((x, keep))
    forEachFrameRun(g, stats, keepFrame: keepFrame, zeroing: out) { start, count, a, b in
        let (x, keep) = shared.value
        let src = x + start, dst = out + start
        if let keep {
            let k = keep + start
            for i in 0..<count { dst[i] = F.apply(src[i] * a + b) * (Float(k[i]) * scale) }
        } else {
            for i in 0..<count { dst[i] = F.apply(src[i] * a + b) }
        }
    }
}

/// gy = the gradient reaching the batch-norm output of `activationDropoutKernel`, from the output gradient
/// g: zero on padded frames, else g (keep scale) F'(y) with y = x a + b recomputed: the same float
/// operations as the backward passes of `zeroingPadding`, `dropout` and the activation one after the other.
func activationDropoutUpstreamKernel<F: UnaryFunction>(_: F.Type, _ x: UnsafePointer<Float>, _ gOut: UnsafePointer<Float>,
                                                       _ stats: BatchNormStatistics, _ keep: UnsafePointer<UInt8>?,
                                                       keepFrame: UnsafePointer<Float>?, _ gy: UnsafeMutablePointer<Float>,
                                                       _ g: ActivationDropoutGeometry) {
    let scale = g.dropoutScale
    let shared = UncheckedSendable((x, gOut, keep))
    forEachFrameRun(g, stats, keepFrame: keepFrame, zeroing: gy) { start, count, a, b in
        let (x, gOut, keep) = shared.value
        let src = x + start, up = gOut + start, dst = gy + start
        if let keep {
            let k = keep + start
            for i in 0..<count {
                let pre = src[i] * a + b
                dst[i] = up[i] * (Float(k[i]) * scale) * F.derivative(x: pre, y: F.apply(pre))
            }
        } else {
            for i in 0..<count {
                let pre = src[i] * a + b
                dst[i] = up[i] * F.derivative(x: pre, y: F.apply(pre))
            }
        }
    }
}

/// A CKernels batch-norm affine + activation + dropout kernel: `ck_affine_gelu_forward` (GELU; Swift's
/// generic loop runs it at the baseline SSE width) or `ck_affine_relu_dropout_forward` (ReLU).
typealias AffineActivationDropoutKernel = @convention(c) (UnsafePointer<Float>?, Float, Float, UnsafePointer<UInt8>?, Float,
                                                          UnsafeMutablePointer<Float>?, Int) -> Void

extension NormActivation {
    /// This activation's CKernels affine + activation + dropout kernel (none for the identity).
    var affineDropoutKernel: AffineActivationDropoutKernel? {
        switch self {
        case .identity: nil
        case .relu: ck_affine_relu_dropout_forward
        case .gelu: ck_affine_gelu_forward
        }
    }
}

/// `activationDropoutKernel` in a CKernels kernel (wide vectors), each frame's run of elements at once: the
/// same operations in the same order, so the same bits as `batchNorm`, the activation (GELU: the same C
/// formula as `Tensor.gelu`), `dropout` and `zeroingPadding` one after the other.
func affineActivationDropoutKernel(_ kernel: AffineActivationDropoutKernel, _ x: UnsafePointer<Float>, _ stats: BatchNormStatistics,
                                   _ keep: UnsafePointer<UInt8>?, keepFrame: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>,
                                   _ g: ActivationDropoutGeometry) {
    let shared = UncheckedSendable((x, keep))
    forEachFrameRun(g, stats, keepFrame: keepFrame, zeroing: out) { start, count, a, b in
        let (x, keep) = shared.value
        kernel(x + start, a, b, keep.map { $0 + start }, g.dropoutScale, out + start, count)
    }
}

/// `activationDropoutUpstreamKernel` for GELU in `ck_affine_gelu_backward`: the same bits as the backward
/// passes of `zeroingPadding`, `dropout` and `Tensor.gelu` one after the other.
func geluDropoutUpstreamKernel(_ x: UnsafePointer<Float>, _ gOut: UnsafePointer<Float>, _ stats: BatchNormStatistics,
                               _ keep: UnsafePointer<UInt8>?, keepFrame: UnsafePointer<Float>?, _ gy: UnsafeMutablePointer<Float>,
                               _ g: ActivationDropoutGeometry) {
    let shared = UncheckedSendable((x, gOut, keep))
    forEachFrameRun(g, stats, keepFrame: keepFrame, zeroing: gy) { start, count, a, b in
        let (x, gOut, keep) = shared.value
        ck_affine_gelu_backward(x + start, a, b, keep.map { $0 + start }, g.dropoutScale, gOut + start, gy + start, count)
    }
}

/// Calls `run(start, count, a, b)` for every real frame's run of elements (a, b: its channel's batch-norm
/// affine) and zeroes the padded frames' runs in `zeroed`, spread over the threads by (image, channel).
private func forEachFrameRun(_ g: ActivationDropoutGeometry, _ stats: BatchNormStatistics, keepFrame: UnsafePointer<Float>?,
                             zeroing zeroed: UnsafeMutablePointer<Float>, _ run: (Int, Int, Float, Float) -> Void) {
    let l = g.layout, rest = g.rest
    let shared = UncheckedSendable((keepFrame, zeroed))
    parallelChunks(l.outer * l.channels, grain: Swift.max(1, 32_768 / Swift.max(l.inner, 1))) { s, e in
        let (keepFrame, zeroed) = shared.value
        for oc in s..<e {
            let o = oc / l.channels, c = oc % l.channels
            let (a, b) = stats.affine(c)
            for f in 0..<g.frames {
                let start = oc * l.inner + f * rest
                if let keepFrame, keepFrame[o * g.frames + f] == 0 {
                    (zeroed + start).update(repeating: 0, count: rest)
                } else {
                    run(start, rest, a, b)
                }
            }
        }
    }
}
