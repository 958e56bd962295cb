/// Linear resampling along one axis with PyTorch's `align_corners = False` convention.
extension Tensor {
    public func interpolateLinear(axis: Int, length newLength: Int) -> Tensor {
        let ax = normalizedAxis(axis, rank: rank, op: "interpolateLinear")
        checkArgument(newLength > 0 && shape[ax] > 0, "interpolateLinear: cannot resample axis \(ax) of \(shape) to \(newLength)")
        let (outer, length, inner) = axisGeometry(shape, ax)
        // Source position of output i: (i + 0.5) * scale - 0.5, clamped at 0, as PyTorch.
        let scale = Float(length) / Float(newLength)
        var lower = [Int](repeating: 0, count: newLength), upper = lower
        var frac = [Float](repeating: 0, count: newLength)
        for i in 0..<newLength {
            let src = Swift.max(0, (Float(i) + 0.5) * scale - 0.5)
            let i0 = Swift.min(Int(src), length - 1)
            lower[i] = i0
            upper[i] = Swift.min(i0 + 1, length - 1)
            frac[i] = src - Float(i0)
        }
        var outShape = shape
        outShape[ax] = newLength
        let out = Tensor.empty(outShape)
        let px = storage.pointer, po = out.storage.pointer
        for o in 0..<outer {
            for i in 0..<newLength {
                let a = px + (o * length + lower[i]) * inner, b = px + (o * length + upper[i]) * inner
                let d = po + (o * newLength + i) * inner
                let f = frac[i]
                for j in 0..<inner { d[j] = a[j] * (1 - f) + b[j] * f }
            }
        }
        let inShape = shape
        return out.recorded(from: [self]) { g in
            let gx = Tensor(zeros: inShape)
            let pg = g.storage.pointer, pgx = gx.storage.pointer
            for o in 0..<outer {
                for i in 0..<newLength {
                    let a = pgx + (o * length + lower[i]) * inner, b = pgx + (o * length + upper[i]) * inner
                    let s = pg + (o * newLength + i) * inner
                    let f = frac[i]
                    for j in 0..<inner { a[j] += s[j] * (1 - f); b[j] += s[j] * f }
                }
            }
            return [gx]
        }
    }
}
