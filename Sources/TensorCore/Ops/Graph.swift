/// Neighbourhood aggregation over a temporal graph whose edges join frames at most `radius` apart: a band
/// operator applied as out[b, t] = sum over o in -radius...radius of coefficients[b, t, o + radius] * x[b, t + o],
/// never as a dense (T, T) matrix.
extension Tensor {
    /// x (B, T, C), coefficients (B, T, 2 * radius + 1) (constant: no gradient flows into them), and an
    /// optional bias (C) added to every row in the same pass (a graph layer's bias, without an add node).
    public func bandAggregate(coefficients: Tensor, radius: Int, bias: Tensor? = nil) -> Tensor {
        checkArgument(rank == 3 && coefficients.shape == [shape[0], shape[1], 2 * radius + 1],
                     "bandAggregate: input \(shape) and coefficients \(coefficients.shape) do not fit radius \(radius)")
        if let bias { checkArgument(bias.shape == [shape[2]], "bandAggregate: bias \(bias.shape) for input \(shape)") }
        let (b, t, c) = (shape[0], shape[1], shape[2])
        let width = 2 * radius + 1
        let out = Tensor.empty(shape)
        let px = storage.pointer, pk = coefficients.storage.pointer, po = out.storage.pointer
        let pb = bias.map { UnsafePointer($0.storage.pointer) }
        parallelChunks(b * t, grain: Swift.max(1, 8192 / Swift.max(c, 1))) { s, e in
            for row in s..<e {
                let bi = row / t, ti = row % t
                let dst = po + row * c
                if let pb { dst.update(from: pb, count: c) } else { dst.update(repeating: 0, count: c) }
                for o in -radius...radius where ti + o >= 0 && ti + o < t {
                    let k = pk[row * width + o + radius]
                    if k == 0 { continue }
                    let src = px + (bi * t + ti + o) * c
                    for j in 0..<c { dst[j] += k * src[j] }
                }
            }
        }
        let x = self
        return out.recorded(from: [x] + (bias.map { [$0] } ?? [])) { g in
            // The transpose of the band: gx[b, s] = sum over o of coefficients[b, s - o, o] * g[b, s - o].
            // Each row cleared as it is summed (in cache), not in a separate pass over the whole tensor.
            let gx = Tensor.empty([b, t, c])
            let pk = coefficients.storage.pointer, pg = g.storage.pointer, pgx = gx.storage.pointer
            parallelChunks(b * t, grain: Swift.max(1, 8192 / Swift.max(c, 1))) { s, e in
                for row in s..<e {
                    let bi = row / t, si = row % t
                    let dst = pgx + row * c
                    dst.update(repeating: 0, count: c)
                    for o in -radius...radius where si - o >= 0 && si - o < t {
                        let src = (bi * t + si - o)
                        let k = pk[src * width + o + radius]
                        if k == 0 { continue }
                        let gs = pg + src * c
                        for j in 0..<c { dst[j] += k * gs[j] }
                    }
                }
            }
            return [gx] + (bias.map { [$0.needsGrad ? $0.reducedGradient(g) : nil] } ?? [])
        }
    }
}

/// How an edge-list aggregation combines the messages arriving at a node.
public enum NeighbourReduction: Sendable {
    case mean, max
}

extension Tensor {
    /// Aggregation over an edge list (the graph models' message passing): for x (N, C) and edges
    /// (source[e] -> target[e]), out[i] = mean or max of x[source[e]] over the edges with target[e] == i.
    /// A node with no incoming edge gets zeros (as PyTorch Geometric's scatter). The gradient of max goes
    /// to the first source that attains the maximum, per channel.
    public func aggregateNeighbours(sources: [Int], targets: [Int], nodes: Int, reduction: NeighbourReduction) -> Tensor {
        checkArgument(rank == 2 && sources.count == targets.count,
                      "aggregateNeighbours: needs x (N, C) and one target per source, got \(shape), \(sources.count) sources, \(targets.count) targets")
        let (n, c) = (shape[0], shape[1])
        for (s, t) in zip(sources, targets) {
            checkArgument(s >= 0 && s < n && t >= 0 && t < nodes,
                          "aggregateNeighbours: edge \(s) -> \(t) outside \(n) source nodes / \(nodes) target nodes")
        }
        var degree = [Int](repeating: 0, count: nodes)
        for t in targets { degree[t] += 1 }
        let out = Tensor(zeros: [nodes, c])
        let px = storage.pointer, po = out.storage.pointer
        // For max: the source node that won each (target, channel), -1 where there is no edge.
        var winner = [Int32](repeating: -1, count: reduction == .max ? nodes * c : 0)
        for (s, t) in zip(sources, targets) {
            let src = px + s * c, dst = po + t * c
            switch reduction {
            case .mean:
                let w = 1 / Float(degree[t])
                for j in 0..<c { dst[j] += w * src[j] }
            case .max:
                for j in 0..<c where winner[t * c + j] < 0 || src[j] > dst[j] {
                    dst[j] = src[j]
                    winner[t * c + j] = Int32(s)
                }
            }
        }
        return out.recorded(from: [self]) { g in
            let gx = Tensor(zeros: [n, c])
            let pg = g.storage.pointer, pgx = gx.storage.pointer
            switch reduction {
            case .mean:
                for (s, t) in zip(sources, targets) {
                    let w = 1 / Float(degree[t])
                    for j in 0..<c { pgx[s * c + j] += w * pg[t * c + j] }
                }
            case .max:
                for i in 0..<(nodes * c) where winner[i] >= 0 {
                    pgx[Int(winner[i]) * c + i % c] += pg[i]
                }
            }
            return [gx]
        }
    }
}
