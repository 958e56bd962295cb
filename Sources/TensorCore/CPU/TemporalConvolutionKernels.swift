/// A unit-stride 1-D convolution with K taps and `pad` zero rows each side, over sequences of rows of C
/// channels laid end to end: sequence s has `lengths[s]` input rows and `lengths[s] + 2 pad - K + 1`
/// output rows. A batch (N, T, C) is N sequences of T rows; packed sequences have their own lengths.
struct TemporalGeometry {
    let lengths: [Int]
    let c, o, k, pad: Int
    /// The first input and output row of each sequence, and the totals after the last.
    let inputOffsets: [Int], outputOffsets: [Int]

    init(lengths: [Int], c: Int, o: Int, k: Int, pad: Int) {
        self.lengths = lengths
        (self.c, self.o, self.k, self.pad) = (c, o, k, pad)
        var inputs = [0], outputs = [0]
        for n in lengths {
            inputs.append(inputs[inputs.count - 1] + n)
            outputs.append(outputs[outputs.count - 1] + Swift.max(0, n + 2 * pad - k + 1))
        }
        (inputOffsets, outputOffsets) = (inputs, outputs)
    }

    /// N sequences of T rows.
    init(n: Int, t: Int, c: Int, o: Int, k: Int, pad: Int) {
        self.init(lengths: [Int](repeating: t, count: n), c: c, o: o, k: k, pad: pad)
    }

    var inputRows: Int { inputOffsets[lengths.count] }
    var outputRows: Int { outputOffsets[lengths.count] }
    /// Whether every sequence has at least one output row.
    var fitsEverySequence: Bool { lengths.allSatisfy { $0 + 2 * pad - k + 1 > 0 } }

    /// Multiply-adds (x 2) of the taps that read inside their sequence.
    var flops: Int {
        var inside = 0
        for n in lengths {
            let outT = n + 2 * pad - k + 1
            for i in 0..<k { inside += Swift.max(0, Swift.min(outT, n + pad - i) - Swift.max(0, pad - i)) }
        }
        return 2 * inside * c * o
    }

    /// The sequence that output row `r` belongs to.
    func sequence(ofOutputRow r: Int) -> Int {
        var (lo, hi) = (0, lengths.count - 1)
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if outputOffsets[mid] <= r { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}

/// col[r, i*C ..< (i+1)*C] = the input row that tap i of output row r reads (position t + i - pad of the
/// row's own sequence), zero where that lies outside the sequence.
func temporalUnfold(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, _ g: TemporalGeometry) {
    let kc = g.k * g.c
    parallelChunks(g.outputRows, grain: Swift.max(1, 16_384 / Swift.max(kc, 1))) { s, e in
        var sequence = g.sequence(ofOutputRow: s)
        for r in s..<e {
            while r >= g.outputOffsets[sequence + 1] { sequence += 1 }
            let t = r - g.outputOffsets[sequence], length = g.lengths[sequence], first = g.inputOffsets[sequence]
            for i in 0..<g.k {
                let dst = col + r * kc + i * g.c
                let source = t + i - g.pad
                if source < 0 || source >= length {
                    dst.update(repeating: 0, count: g.c)
                } else {
                    dst.update(from: x + (first + source) * g.c, count: g.c)
                }
            }
        }
    }
}

/// The adjoint of `temporalUnfold`: input row t + i - pad of each sequence += col[(sequence, t), i*C ..<
/// (i+1)*C]. Parallel over sequences, so no two threads add into the same rows.
func temporalFold(_ col: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ g: TemporalGeometry) {
    let kc = g.k * g.c
    parallelChunks(g.lengths.count, grain: 1) { s, e in
        for sequence in s..<e {
            let length = g.lengths[sequence], first = g.inputOffsets[sequence], firstOut = g.outputOffsets[sequence]
            for t in 0..<(g.outputOffsets[sequence + 1] - firstOut) {
                let src = col + (firstOut + t) * kc
                for i in 0..<g.k {
                    let target = t + i - g.pad
                    if target < 0 || target >= length { continue }
                    let dst = gx + (first + target) * g.c, part = src + i * g.c
                    for j in 0..<g.c { dst[j] += part[j] }
                }
            }
        }
    }
}
