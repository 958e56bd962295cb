/// Neighbourhood aggregation over a temporal graph whose edges join frames at most `radius` apart: a band
/// operator applied as out[b, t] = sum over o in -radius...radius of coefficients[b, t, o + radius] * x[b, t + o],
/// never as a dense (T, T) matrix.
extension Tensor {
    /// x (B, T, C), coefficients (B, T, 2 * radius + 1) (constant: no gradient flows into them).
    public func bandAggregate(coefficients: Tensor, radius: Int) -> Tensor {
        checkArgument(rank == 3 && coefficients.shape == [shape[0], shape[1], 2 * radius + 1],
                     "bandAggregate: input \(shape) and coefficients \(coefficients.shape) do not fit radius \(radius)")
        let (b, t, c) = (shape[0], shape[1], shape[2])
        let width = 2 * radius + 1
        let out = Tensor(zeros: shape)
        let px = storage.pointer, pk = coefficients.storage.pointer, po = out.storage.pointer
        parallelChunks(b * t, grain: Swift.max(1, 8192 / Swift.max(c, 1))) { s, e in
            for row in s..<e {
                let bi = row / t, ti = row % t
                let dst = po + row * c
                for o in -radius...radius where ti + o >= 0 && ti + o < t {
                    let k = pk[row * width + o + radius]
                    if k == 0 { continue }
                    let src = px + (bi * t + ti + o) * c
                    for j in 0..<c { dst[j] += k * src[j] }
                }
            }
        }
        return out.recorded(from: [self]) { g in
            // The transpose of the band: gx[b, s] = sum over o of coefficients[b, s - o, o] * g[b, s - o].
            let gx = Tensor(zeros: [b, t, c])
            let pk = coefficients.storage.pointer, pg = g.storage.pointer, pgx = gx.storage.pointer
            parallelChunks(b * t, grain: Swift.max(1, 8192 / Swift.max(c, 1))) { s, e in
                for row in s..<e {
                    let bi = row / t, si = row % t
                    let dst = pgx + row * c
                    for o in -radius...radius where si - o >= 0 && si - o < t {
                        let src = (bi * t + si - o)
                        let k = pk[src * width + o + radius]
                        if k == 0 { continue }
                        let gs = pg + src * c
                        for j in 0..<c { dst[j] += k * gs[j] }
                    }
                }
            }
            return [gx]
        }
    }
}
