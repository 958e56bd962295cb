/// Float sums in sixteen interleaved partial sums (one SIMD16 accumulator). The compiler cannot vectorise
/// `acc += p[i]` itself, since IEEE order forbids reassociating it; these loops run several times faster
/// and, with sixteen partial sums, round no worse than the sequential sum.

@inline(__always)
private func load16(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
}

/// Σ p[i] for i < n.
@inline(__always)
func vectorSum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>()
    var i = 0
    while i + 16 <= n { acc += load16(p, i); i += 16 }
    var s = acc.sum()
    while i < n { s += p[i]; i += 1 }
    return s
}

/// Σ p[i] (q[i] - shift) for i < n.
@inline(__always)
func vectorDot(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, shift: Float = 0, _ n: Int) -> Float {
    var acc = SIMD16<Float>()
    let vShift = SIMD16<Float>(repeating: shift)
    var i = 0
    while i + 16 <= n { acc += load16(p, i) * (load16(q, i) - vShift); i += 16 }
    var s = acc.sum()
    while i < n { s += p[i] * (q[i] - shift); i += 1 }
    return s
}

/// Σ p[i] q[i] r[i] for i < n.
@inline(__always)
func vectorDot(_ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ r: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>()
    var i = 0
    while i + 16 <= n { acc += load16(p, i) * load16(q, i) * load16(r, i); i += 16 }
    var s = acc.sum()
    while i < n { s += p[i] * q[i] * r[i]; i += 1 }
    return s
}

/// Σ (p[i] - shift)² for i < n.
@inline(__always)
func vectorSumOfSquares(_ p: UnsafePointer<Float>, shift: Float, _ n: Int) -> Float {
    var acc = SIMD16<Float>()
    let vShift = SIMD16<Float>(repeating: shift)
    var i = 0
    while i + 16 <= n { let d = load16(p, i) - vShift; acc += d * d; i += 16 }
    var s = acc.sum()
    while i < n { let d = p[i] - shift; s += d * d; i += 1 }
    return s
}

/// True when p[i] is finite for every i < n: x * 0 is 0 for a finite x and NaN for an infinity or a NaN,
/// and a NaN stays in the accumulator, so one branch-free vectorised pass decides.
@inline(__always)
func vectorAllFinite(_ p: UnsafePointer<Float>, _ n: Int) -> Bool {
    var acc = SIMD16<Float>()
    var i = 0
    while i + 16 <= n { acc += load16(p, i) * 0; i += 16 }
    var s = acc.sum()
    while i < n { s += p[i] * 0; i += 1 }
    return s == 0
}
