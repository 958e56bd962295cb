/// A depthwise convolution over time with a (k, 1) kernel: Nystromformer's residual convolution of the
/// values, `Conv2d(heads, heads, (k, 1), padding=(k // 2, 0), groups=heads, bias=False)` on (B, H, N, D).
extension Tensor {
    /// self (B, H, N, D), weight (H, 1, k, 1) as PyTorch stores it (or any shape of H x k elements with H
    /// first): out[b, h, t, :] = sum_j w[h, j] x[b, h, t + j - padding, :], zero outside 0 ..< N.
    /// Each head filters its own channel; the D columns share the filter.
    public func depthwiseTemporalConv(weight: Tensor, padding: Int) -> Tensor {
        checkArgument(rank == 4, "depthwiseTemporalConv: needs (B, H, N, D), got \(shape)")
        let (batch, heads, n, d) = (shape[0], shape[1], shape[2], shape[3])
        checkArgument(weight.rank >= 1 && weight.shape[0] == heads && weight.count % heads == 0,
                      "depthwiseTemporalConv: weight \(weight.shape) for \(heads) heads of input \(shape)")
        let k = weight.count / heads
        checkArgument(padding >= 0 && n + 2 * padding - k + 1 == n,
                      "depthwiseTemporalConv: kernel \(k) with padding \(padding) does not keep the length (needs k = 2 padding + 1)")
        let out = Tensor(zeros: shape)
        let px = storage.pointer, pw = weight.storage.pointer, po = out.storage.pointer
        // Taps j valid for output t: 0 <= t + j - padding < n.
        func taps(_ t: Int) -> Range<Int> { Swift.max(0, padding - t)..<Swift.min(k, n + padding - t) }
        Accounting.addFlops(2 * batch * heads * d * Tensor.depthwiseTemporalConvTaps(length: n, kernel: k, padding: padding))
        parallelChunks(batch * heads, grain: 1) { s, e in
            for plane in s..<e {
                let h = plane % heads, x = px + plane * n * d, y = po + plane * n * d
                for t in 0..<n {
                    let row = y + t * d
                    for j in taps(t) {
                        let w = pw[h * k + j], src = x + (t + j - padding) * d
                        for c in 0..<d { row[c] += w * src[c] }
                    }
                }
            }
        }
        return out.recorded(from: [self, weight]) { g in
            let pg = g.storage.pointer
            var gx: Tensor? = nil, gw: Tensor? = nil
            if self.needsGrad {
                let t = Tensor(zeros: self.shape)
                let pgx = t.storage.pointer
                parallelChunks(batch * heads, grain: 1) { s, e in
                    for plane in s..<e {
                        let h = plane % heads, gy = pg + plane * n * d, dx = pgx + plane * n * d
                        for t in 0..<n {
                            let grow = gy + t * d
                            for j in taps(t) {
                                let w = pw[h * k + j], dst = dx + (t + j - padding) * d
                                for c in 0..<d { dst[c] += w * grow[c] }
                            }
                        }
                    }
                }
                gx = t
            }
            if weight.needsGrad {
                let t = Tensor(zeros: weight.shape)
                let pgw = t.storage.pointer
                // One head per task: its k sums run over every batch row, time step and column.
                parallelChunks(heads, grain: 1) { s, e in
                    for h in s..<e {
                        for b in 0..<batch {
                            let plane = b * heads + h, gy = pg + plane * n * d, x = px + plane * n * d
                            for t in 0..<n {
                                let grow = gy + t * d
                                for j in taps(t) {
                                    let src = x + (t + j - padding) * d
                                    var acc: Float = 0
                                    for c in 0..<d { acc += grow[c] * src[c] }
                                    pgw[h * k + j] += acc
                                }
                            }
                        }
                    }
                }
                gw = t
            }
            return [gx, gw]
        }
    }

    /// Kernel taps that land inside the sequence, summed over the output positions: the multiply-adds
    /// per column of one head (what the core counts as this op's FLOPs / 2).
    public static func depthwiseTemporalConvTaps(length n: Int, kernel k: Int, padding: Int) -> Int {
        (0..<n).reduce(0) { $0 + Swift.max(0, Swift.min(k, n + padding - $1) - Swift.max(0, padding - $1)) }
    }
}
