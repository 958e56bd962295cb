extension Tensor {
    /// Softmax over the last axis. `keyMask` (1 = keep, 0 = exclude), if given, has shape (B, L) for a
    /// tensor of shape (B, ..., L): every row of video b uses mask row b. Fully masked rows give zeros.
    public func softmax(keyMask: Tensor? = nil) -> Tensor {
        checkArgument(rank >= 1, "softmax: needs rank >= 1, got \(shape)")
        let length = shape[rank - 1]
        let rows = count / Swift.max(length, 1)
        var rowsPerMask = rows
        if let keyMask {
            checkArgument(keyMask.rank == 2 && keyMask.shape[1] == length && rank >= 2 && keyMask.shape[0] == shape[0],
                         "softmax: key mask of shape \(keyMask.shape) does not fit scores of shape \(shape)")
            rowsPerMask = rows / shape[0]
        }
        let out = Tensor.empty(shape)
        softmaxRowsKernel(storage.pointer, out.storage.pointer, rows: rows, length: length,
                          keyMask: keyMask.map { UnsafePointer($0.storage.pointer) }, rowsPerMask: rowsPerMask)
        return out.recorded(from: [self]) { [unowned out] g in
            let gx = Tensor.empty(out.shape)
            softmaxBackwardKernel(out.storage.pointer, g.storage.pointer, gx.storage.pointer, rows: rows, length: length)
            return [gx]
        }
    }

    /// Softmax over any axis (moves the axis last and back when it is not already last).
    public func softmax(axis: Int) -> Tensor {
        let ax = normalizedAxis(axis, rank: rank, op: "softmax")
        if ax == rank - 1 { return softmax() }
        var order = Array(0..<rank)
        order.remove(at: ax)
        order.append(ax)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return permuted(order).softmax().permuted(inverse)
    }
}
