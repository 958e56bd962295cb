import TensorCore

/// From padded batches to graph nodes and back. Each video is one graph whose nodes are its real frames;
/// several videos form a disjoint union, as PyTorch Geometric batches graphs, so padded frames never
/// become nodes (they would enter the BatchNorm statistics and the band) and a video's scores never
/// depend on its batch mates. Training uses one video per step (the official batch of 1 graph), where
/// packing is a reshape, not a copy.
enum FrameNodes {
    /// The real frames of each video: right-padded rows, stops naming the model otherwise.
    static func lengths(mask: Tensor, model: String) -> [Int] {
        let lengths = realFrameCounts(mask)
        let (t, flags) = (mask.shape[1], mask.values)
        for (b, n) in lengths.enumerated() {
            checkArgument(flags[(b * t)..<(b * t + n)].allSatisfy { $0 != 0 },
                          "\(model): mask row \(b) is not right-padded (real frames must come first)")
        }
        checkArgument(lengths.contains { $0 > 0 }, "\(model): the batch has no real frame")
        return lengths
    }

    /// features (B, T, F) -> the real frames' rows (sum of lengths, F), video after video.
    static func pack(_ features: Tensor, lengths: [Int]) -> Tensor {
        let (b, t, f) = (features.shape[0], features.shape[1], features.shape[2])
        if lengths.allSatisfy({ $0 == t }) { return features.reshaped([b * t, f]) }
        let rows = lengths.enumerated().filter { $0.element > 0 }.map { video, n in
            features.slice(axis: 0, start: video, length: 1).slice(axis: 1, start: 0, length: n).reshaped([n, f])
        }
        return rows.count == 1 ? rows[0] : Tensor.concat(rows, axis: 0)
    }

    /// Per-node values (N, 1) -> (B, T), zero at padded frames.
    static func unpack(_ values: Tensor, lengths: [Int], maxLength t: Int) -> Tensor {
        let b = lengths.count
        if lengths.allSatisfy({ $0 == t }) { return values.reshaped([b, t]) }
        var pieces: [Tensor] = []
        var start = 0
        for n in lengths {
            if n > 0 { pieces.append(values.slice(axis: 0, start: start, length: n)) }
            if n < t { pieces.append(Tensor(zeros: [t - n, 1])) }
            start += n
        }
        return Tensor.concat(pieces, axis: 0).reshaped([b, t])
    }
}
