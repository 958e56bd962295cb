/// Row-major strides of a shape.
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = s
        s *= shape[i]
    }
    return strides
}

/// NumPy broadcasting of two shapes, or nil when they are incompatible.
func broadcastShapes(_ a: [Int], _ b: [Int]) -> [Int]? {
    let r = max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let da = i < r - a.count ? 1 : a[i - (r - a.count)]
        let db = i < r - b.count ? 1 : b[i - (r - b.count)]
        if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
    }
    return out
}

/// Strides for reading a tensor of `shape` as if broadcast to `outShape` (0 along broadcast axes).
func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
    let own = contiguousStrides(shape)
    let offset = outShape.count - shape.count
    return (0..<outShape.count).map { i in
        i < offset ? 0 : (shape[i - offset] == 1 && outShape[i] != 1 ? 0 : own[i - offset])
    }
}

/// Merges adjacent axes that every operand walks contiguously (or all broadcast), so loops run over as
/// few, as long, axes as possible. `strides[k]` holds operand k's strides.
func collapseAxes(shape: [Int], strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
    var outShape: [Int] = []
    var outStrides: [[Int]] = Array(repeating: [], count: strides.count)
    for axis in 0..<shape.count where shape[axis] != 1 {
        if let last = outShape.last,
           strides.indices.allSatisfy({ k in outStrides[k].last! == strides[k][axis] * shape[axis] }) {
            outShape[outShape.count - 1] = last * shape[axis]
            for k in strides.indices { outStrides[k][outStrides[k].count - 1] = strides[k][axis] }
        } else {
            outShape.append(shape[axis])
            for k in strides.indices { outStrides[k].append(strides[k][axis]) }
        }
    }
    if outShape.isEmpty {
        return ([1], strides.map { _ in [1] })
    }
    return (outShape, outStrides)
}

/// Normalises a possibly negative axis for a tensor of `rank`, naming the op in the error.
func normalizedAxis(_ axis: Int, rank: Int, op: String) -> Int {
    let a = axis < 0 ? axis + rank : axis
    checkArgument(a >= 0 && a < rank, "\(op): axis \(axis) out of range for rank \(rank)")
    return a
}

/// Element offsets, in two operands with strides `first` and `second`, of row `row` of a collapsed shape
/// whose last axis is the inner loop: the multi-index over the outer axes, decomposed once per row.
@inline(__always)
func rowOffsets(_ row: Int, outerShape: [Int], _ first: [Int], _ second: [Int]) -> (Int, Int) {
    var rem = row, a = 0, b = 0
    for axis in stride(from: outerShape.count - 1, through: 0, by: -1) {
        let idx = rem % outerShape[axis]
        rem /= outerShape[axis]
        a += idx * first[axis]
        b += idx * second[axis]
    }
    return (a, b)
}
