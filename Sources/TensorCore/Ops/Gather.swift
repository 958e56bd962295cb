/// Row gathers with zero rows, for windows over time and for picking loss terms out of a tensor.
extension Tensor {
    /// Rows of this tensor along axis 0, by index: output row r is input row `indices[r]`, or zeros
    /// where the index is negative (zero padding of a window). Output shape [indices.count] + shape[1...].
    /// Backward: each input row receives the sum of the gradients of the output rows that copied it.
    public func gatherRows(_ indices: [Int]) -> Tensor {
        checkArgument(rank >= 1, "gatherRows: needs rank >= 1, got a scalar")
        let rows = shape[0], width = rank == 1 ? 1 : shape[1...].reduce(1, *)
        checkArgument(indices.allSatisfy { $0 < rows }, "gatherRows: index \(indices.max() ?? 0) out of range for \(rows) rows")
        let outShape = [indices.count] + shape.dropFirst()
        let out = Tensor.empty(outShape)
        let px = storage.pointer, po = out.storage.pointer
        parallelChunks(indices.count, grain: Swift.max(1, 32_768 / Swift.max(width, 1))) { s, e in
            for r in s..<e {
                let dst = po + r * width, index = indices[r]
                if index >= 0 { dst.update(from: px + index * width, count: width) } else { dst.update(repeating: 0, count: width) }
            }
        }
        let inShape = shape
        return out.recorded(from: [self]) { g in
            let gx = Tensor(zeros: inShape)
            let pg = g.storage.pointer, pgx = gx.storage.pointer
            // Serial: several output rows may add into one input row.
            for (r, index) in indices.enumerated() where index >= 0 {
                let dst = pgx + index * width, src = pg + r * width
                for j in 0..<width { dst[j] += src[j] }
            }
            return [gx]
        }
    }
}
