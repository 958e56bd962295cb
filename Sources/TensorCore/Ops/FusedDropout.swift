import CKernels

extension Tensor {
    /// `gelu()` then `dropout(p, training:rng:packed:)` as one op: one pass forward and one backward
    /// instead of two each, and no GELU output kept for the backward pass. The same draws and the same
    /// float operations as the two ops, so the same values. Plain `gelu()` when not training or p == 0.
    public func geluDropout(_ p: Float, training: Bool, rng: RandomSource, packed: PackedSequences? = nil) -> Tensor {
        activationDropout(p, training: training, rng: rng, packed: packed, op: "geluDropout", plain: { $0.gelu() },
                          forward: ck_gelu_dropout_forward, backward: ck_gelu_dropout_backward)
    }

    /// `relu()` then `dropout(p, training:rng:packed:)` as one op, one pass each way (the ReLU output is
    /// never written, nor its gradient): the models' "ReLU then dropout" between layers. The same draws
    /// and float operations as the two ops (dropout's gradient, then ReLU's), so the same values. Plain
    /// `relu()` when not training or p == 0.
    public func reluDropout(_ p: Float, training: Bool, rng: RandomSource, packed: PackedSequences? = nil) -> Tensor {
        activationDropout(p, training: training, rng: rng, packed: packed, op: "reluDropout", plain: { $0.relu() },
                          forward: ck_relu_dropout_forward, backward: ck_relu_dropout_backward)
    }

    /// An activation then dropout as one op, from its CKernels pair: forward(x, keep, scale, y, count) and
    /// backward(x, keep, scale, g, gx, count), each over a contiguous run.
    private func activationDropout(_ p: Float, training: Bool, rng: RandomSource, packed: PackedSequences?, op: String,
                                   plain: (Tensor) -> Tensor,
                                   forward: @escaping (UnsafePointer<Float>?, UnsafePointer<UInt8>?, Float, UnsafeMutablePointer<Float>?, Int) -> Void,
                                   backward: @escaping (UnsafePointer<Float>?, UnsafePointer<UInt8>?, Float, UnsafePointer<Float>?,
                                                        UnsafeMutablePointer<Float>?, Int) -> Void) -> Tensor {
        checkArgument(p >= 0 && p < 1, "\(op): probability \(p) not in [0, 1)")
        if !training || p == 0 { return plain(self) }
        let n = count
        let mask = DropoutKeepFlags(for: self, p: p, rng: rng, packed: packed, op: op)
        let scale = 1 / (1 - p)
        let out = Tensor.empty(shape)
        let px = storage.pointer, po = out.storage.pointer, keep = mask.flags
        parallelChunks(n, grain: 8192) { s, e in forward(px + s, keep + s, scale, po + s, e - s) }
        let x = self
        return out.recorded(from: [x]) { g in
            let gx = Tensor.empty(g.shape)
            let px = x.storage.pointer, pg = g.storage.pointer, pgx = gx.storage.pointer, keep = mask.flags
            parallelChunks(n, grain: 8192) { s, e in backward(px + s, keep + s, scale, pg + s, pgx + s, e - s) }
            return [gx]
        }
    }
}

extension Tensor {
    /// self + y.dropout(p, training:rng:packed:) as one op (a residual connection around a dropped-out
    /// branch): one pass instead of two, and no dropped-out copy of y kept until the backward pass.
    /// The same draws and float operations as the two ops. self and y have the same shape.
    public func adding(dropoutOf y: Tensor, _ p: Float, training: Bool, rng: RandomSource,
                       packed: PackedSequences? = nil) -> Tensor {
        checkArgument(p >= 0 && p < 1, "adding(dropoutOf:): probability \(p) not in [0, 1)")
        checkArgument(y.shape == shape, "adding(dropoutOf:): shapes \(shape) and \(y.shape) differ")
        if !training || p == 0 { return self + y }
        let n = count
        let mask = DropoutKeepFlags(for: y, p: p, rng: rng, packed: packed, op: "adding(dropoutOf:)")
        let scale = 1 / (1 - p)
        let out = Tensor.empty(shape)
        let ph = storage.pointer, py = y.storage.pointer, po = out.storage.pointer, keep = mask.flags
        parallelChunks(n) { s, e in for i in s..<e { po[i] = ph[i] + py[i] * (Float(keep[i]) * scale) } }
        let h = self
        return out.recorded(from: [h, y]) { g in
            var gy: Tensor? = nil
            if y.needsGrad {
                let dy = Tensor.empty(g.shape)
                let pg = g.storage.pointer, pdy = dy.storage.pointer, keep = mask.flags
                parallelChunks(n) { s, e in for i in s..<e { pdy[i] = pg[i] * (Float(keep[i]) * scale) } }
                gy = dy
            }
            return [h.needsGrad ? g : nil, gy]
        }
    }
}
