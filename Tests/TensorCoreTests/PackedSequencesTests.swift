import Testing
@testable import TensorCore
import TestSupport

/// Packed sequences: the layout read from a mask, packing and unpacking rows against index arithmetic
/// done by hand, the packed temporal convolution against each sequence convolved alone (and finite
/// differences), and dropout on packed rows against the padded batch's own mask.
@Suite("Packed sequences") struct PackedSequencesTests {
    static let lengths = [5, 1, 3, 4]

    static func prefixMask(_ lengths: [Int], t: Int) -> Tensor {
        mask(lengths.map { n in (0..<t).map { $0 < n ? 1 : 0 } })
    }

    @Test func layoutFromARightPaddedMask() throws {
        let packed = try #require(PackedSequences(prefixMask: Self.prefixMask(Self.lengths, t: 6)))
        #expect(packed.lengths == Self.lengths && packed.paddedLength == 6)
        #expect(packed.offsets == [0, 5, 6, 9, 13] && packed.rows == 13 && packed.hasPadding)
        #expect(PackedSequences(prefixMask: Self.prefixMask([4, 4], t: 4))?.hasPadding == false)
        // A gap inside a sequence, or a weight other than 0 and 1, is not a padded batch.
        #expect(PackedSequences(prefixMask: mask([[1, 0, 1, 0]])) == nil)
        #expect(PackedSequences(prefixMask: mask([[1, 0.5, 0, 0]])) == nil)
    }

    @Test func packingKeepsTheRealRowsInOrder() throws {
        let (t, width) = (6, 3)
        let packed = PackedSequences(lengths: Self.lengths, paddedLength: t)
        let x = randomTensor([Self.lengths.count, t, width], seed: 1)
        let rows = x.packedRows(packed)
        var expected: [Float] = []
        for (b, n) in Self.lengths.enumerated() { expected += x.values[(b * t * width)..<((b * t + n) * width)] }
        #expect(rows.shape == [packed.rows, width] && mismatches(rows.values, expected).none)
        let back = rows.unpackedRows(packed)
        #expect(back.shape == x.shape)
        for b in 0..<Self.lengths.count {
            for i in 0..<t {
                let real = i < Self.lengths[b]
                for j in 0..<width {
                    let k = (b * t + i) * width + j
                    #expect(back.values[k] == (real ? x.values[k] : 0))
                }
            }
        }
        checkGradients([x]) { $0[0].packedRows(packed) }
        checkGradients([rows.detached()]) { $0[0].unpackedRows(packed) }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let lengths: [Int], c: Int, o: Int, k: Int, padding: Int
        var testDescription: String { "lengths \(lengths) c\(c) o\(o) k\(k) p\(padding)" }
    }

    static let cases = [Case(lengths: [5, 1, 3, 4], c: 3, o: 4, k: 3, padding: 1),
                        Case(lengths: [2, 6], c: 2, o: 3, k: 5, padding: 2),
                        Case(lengths: [4, 3, 5], c: 2, o: 2, k: 3, padding: 0)]

    /// Each sequence convolved alone by the batch op (itself checked against conv1d): outputs end to
    /// end, and the weight and bias gradients summed over the sequences.
    @Test(arguments: cases) func packedConvolutionIsEachSequenceAlone(_ c: Case) {
        let packed = PackedSequences(lengths: c.lengths, paddedLength: c.lengths.max()!)
        let x = randomTensor([packed.rows, c.c], seed: 3), w = randomTensor([c.o, c.c, c.k], seed: 4)
        let b = randomTensor([c.o], seed: 5)
        let inputs = [x, w, b]
        for t in inputs { t.requiresGrad = true }
        defer { for t in inputs { t.requiresGrad = false; t.grad = nil } }
        let y = x.conv1dChannelsLast(weight: w, bias: b, padding: c.padding, sequences: packed)
        let upstream = uniformTensor(y.shape, -1, 1, seed: 6)
        y.backward(seed: upstream)
        let packedGrads = inputs.map { $0.grad!.values }
        for t in inputs { t.grad = nil }

        var outputs: [Float] = [], inputGrads: [Float] = [], outRow = 0
        for (s, n) in c.lengths.enumerated() {
            let alone = Tensor(Array(x.values[(packed.offsets[s] * c.c)..<(packed.offsets[s + 1] * c.c)]), shape: [1, n, c.c])
            alone.requiresGrad = true
            let ys = alone.conv1dChannelsLast(weight: w, bias: b, padding: c.padding)
            let rows = ys.shape[1]
            ys.backward(seed: Tensor(Array(upstream.values[(outRow * c.o)..<((outRow + rows) * c.o)]), shape: ys.shape))
            outputs += ys.values
            inputGrads += alone.grad!.values
            outRow += rows
        }
        #expect(y.shape == [outRow, c.o])
        let scale = { (v: [Float]) in 1e-5 * Swift.max(1, v.map(abs).max() ?? 0) }
        #expect(maxAbsDifference(y.values, outputs) <= scale(outputs))
        #expect(maxAbsDifference(packedGrads[0], inputGrads) <= scale(inputGrads))
        #expect(maxAbsDifference(packedGrads[1], w.grad!.values) <= scale(w.grad!.values))
        #expect(maxAbsDifference(packedGrads[2], b.grad!.values) <= scale(b.grad!.values))
        for t in inputs { t.requiresGrad = false; t.grad = nil }
        checkGradients(inputs) { $0[0].conv1dChannelsLast(weight: $0[1], bias: $0[2], padding: c.padding, sequences: packed) }
    }

    @Test func geometryFindsASequenceTooShortForTheKernel() {
        // A 1-frame sequence has no output row for k 3 without padding, and one with padding 1.
        let g = TemporalGeometry(lengths: [4, 1], c: 2, o: 2, k: 3, pad: 0)
        #expect(!g.fitsEverySequence)
        #expect(TemporalGeometry(lengths: [4, 1], c: 2, o: 2, k: 3, pad: 1).fitsEverySequence)
    }

    /// Dropout on packed rows takes the padded batch's draws: the same seed gives the padded result's
    /// real rows, forward and backward.
    @Test func packedDropoutDrawsThePaddedMask() {
        let (t, width) = (6, 40)
        let packed = PackedSequences(lengths: Self.lengths, paddedLength: t)
        let x = randomTensor([Self.lengths.count, t, width], seed: 8)
        let rows = x.packedRows(packed)
        rows.requiresGrad = true
        x.requiresGrad = true
        defer { x.requiresGrad = false; x.grad = nil; rows.requiresGrad = false; rows.grad = nil }
        let padded = x.dropout(0.5, training: true, rng: RandomSource(seed: 9))
        let onRows = rows.dropout(0.5, training: true, rng: RandomSource(seed: 9), packed: packed)
        #expect(mismatches(onRows.values, padded.packedRows(packed).values).none)
        #expect(onRows.values.contains(0) && onRows.values.contains { $0 != 0 })
        let upstream = uniformTensor(padded.shape, -1, 1, seed: 10)
        padded.backward(seed: upstream)
        onRows.backward(seed: upstream.packedRows(packed))
        #expect(mismatches(rows.grad!.values, x.grad!.packedRows(packed).values).none)
    }
}
