import CKernels

extension Tensor {
    /// `gelu()` then `dropout(p, training:rng:packed:)` as one op: one pass forward and one backward
    /// instead of two each, and no GELU output kept for the backward pass. The same draws and the same
    /// float operations as the two ops, so the same values. Plain `gelu()` when not training or p == 0.
    public func geluDropout(_ p: Float, training: Bool, rng: RandomSource, packed: PackedSequences? = nil) -> Tensor {
        checkArgument(p >= 0 && p < 1, "geluDropout: probability \(p) not in [0, 1)")
        if !training || p == 0 { return gelu() }
        let n = count
        let mask = DropoutKeepFlags(for: self, p: p, rng: rng, packed: packed, op: "geluDropout")
        let scale = 1 / (1 - p)
        let out = Tensor.empty(shape)
        let px = storage.pointer, po = out.storage.pointer, keep = mask.flags
        parallelChunks(n, grain: 8192) { s, e in ck_gelu_dropout_forward(px + s, keep + s, scale, po + s, e - s) }
        let x = self
        return out.recorded(from: [x]) { g in
            let gx = Tensor.empty(g.shape)
            let px = x.storage.pointer, pg = g.storage.pointer, pgx = gx.storage.pointer, keep = mask.flags
            parallelChunks(n, grain: 8192) { s, e in ck_gelu_dropout_backward(px + s, keep + s, scale, pg + s, pgx + s, e - s) }
            return [gx]
        }
    }
}
