/// A right-padded batch of sequences (B, T, ...) stored without its padding: the real rows of every
/// sequence laid end to end, (R, ...) with R the number of real frames. Per-frame layers then skip the
/// padded rows (a sixth of a small-width training batch of 110-150 frame videos), and a temporal
/// convolution over the packed rows (`conv1dChannelsLast(weight:bias:padding:sequences:)`) reads zeros
/// beyond each sequence's ends, as the padded layout does when its padded frames are zeroed.
public struct PackedSequences: Equatable, Sendable {
    /// Real frames of each sequence, in batch order.
    public let lengths: [Int]
    /// The padded length T of the batch the sequences came from.
    public let paddedLength: Int
    /// The first packed row of each sequence, and the total after the last.
    public let offsets: [Int]

    public var batch: Int { lengths.count }
    public var rows: Int { offsets[lengths.count] }
    public var hasPadding: Bool { rows != batch * paddedLength }

    public init(lengths: [Int], paddedLength: Int) {
        checkArgument(lengths.allSatisfy { $0 >= 0 && $0 <= paddedLength },
                      "PackedSequences: lengths \(lengths) must lie in 0...\(paddedLength)")
        self.lengths = lengths
        self.paddedLength = paddedLength
        var offsets = [0]
        offsets.reserveCapacity(lengths.count + 1)
        for n in lengths { offsets.append(offsets[offsets.count - 1] + n) }
        self.offsets = offsets
    }

    /// The sequences of a (B, T) validity mask whose rows are ones then zeros (right padding); nil for any
    /// other mask (a gap inside a sequence, or a weight other than 0 and 1), which packing cannot express.
    public init?(prefixMask mask: Tensor) {
        guard mask.rank == 2 else { return nil }
        let (b, t) = (mask.shape[0], mask.shape[1])
        let p = mask.storage.pointer
        var lengths: [Int] = []
        lengths.reserveCapacity(b)
        for video in 0..<b {
            let row = p + video * t
            var n = 0
            while n < t && row[n] == 1 { n += 1 }
            for i in n..<t where row[i] != 0 { return nil }
            lengths.append(n)
        }
        self.init(lengths: lengths, paddedLength: t)
    }
}

extension Tensor {
    /// The real rows of a padded batch (B, T, ...) as (R, ...) (a reshape when nothing is padded). The
    /// gradient scatters back, zero on padding.
    public func packedRows(_ sequences: PackedSequences) -> Tensor {
        checkArgument(rank >= 2 && shape[0] == sequences.batch && shape[1] == sequences.paddedLength,
                      "packedRows: a tensor of shape \(shape) is not a padded batch of \(sequences.batch) x \(sequences.paddedLength)")
        if !sequences.hasPadding { return reshaped([sequences.rows] + shape.dropFirst(2)) }
        let width = count / Swift.max(shape[0] * shape[1], 1)
        let out = Tensor.empty([sequences.rows] + shape.dropFirst(2))
        copyRuns(sequences, from: storage.pointer, paddedSource: true, to: out.storage.pointer, width: width)
        let padded = shape
        return out.recorded(from: [self]) { g in [g.unpackedRows(sequences, shape: padded)] }
    }

    /// Packed rows (R, ...) back into a padded batch (B, T, ...), zero on padding. The gradient gathers the
    /// real rows.
    public func unpackedRows(_ sequences: PackedSequences) -> Tensor {
        unpackedRows(sequences, shape: [sequences.batch, sequences.paddedLength] + shape.dropFirst())
    }

    private func unpackedRows(_ sequences: PackedSequences, shape padded: [Int]) -> Tensor {
        checkArgument(rank >= 1 && shape[0] == sequences.rows,
                      "unpackedRows: a tensor of shape \(shape) does not hold the \(sequences.rows) rows of \(sequences.lengths)")
        if !sequences.hasPadding { return reshaped(padded) }
        let width = count / Swift.max(shape[0], 1)
        let out = Tensor.empty(padded)
        let po = out.storage.pointer, rowValues = sequences.paddedLength * width
        for (s, n) in sequences.lengths.enumerated() {
            (po + s * rowValues + n * width).update(repeating: 0, count: rowValues - n * width)
        }
        copyRuns(sequences, from: storage.pointer, paddedSource: false, to: po, width: width)
        return out.recorded(from: [self]) { g in [g.packedRows(sequences)] }
    }
}

/// Copies each sequence's real rows between the padded and the packed layout (either way).
private func copyRuns(_ sequences: PackedSequences, from source: UnsafePointer<Float>, paddedSource: Bool,
                      to target: UnsafeMutablePointer<Float>, width: Int) {
    parallelChunks(sequences.batch, grain: Swift.max(1, 32_768 / Swift.max(sequences.paddedLength * width, 1))) { s, e in
        for video in s..<e where sequences.lengths[video] > 0 {
            let padded = video * sequences.paddedLength * width, packed = sequences.offsets[video] * width
            let n = sequences.lengths[video] * width
            if paddedSource {
                (target + packed).update(from: source + padded, count: n)
            } else {
                (target + padded).update(from: source + packed, count: n)
            }
        }
    }
}
