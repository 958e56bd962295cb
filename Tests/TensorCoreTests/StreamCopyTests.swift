import CKernels
import Testing
@testable import TensorCore

/// The non-temporal copy behind large batches: every value in place at every instruction-set level, for
/// destinations at every float offset from a cache line and counts around the vector widths, nothing
/// written beyond the end; and batches past `streamingCopyBytes` laid out as small ones are.
@Suite("Streaming copy") struct StreamCopyTests {
    @Test(arguments: [0, 1, 2] as [Int32]) func copiesEveryValueAndNothingElse(_ level: Int32) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        let source = (0..<300).map { Float($0) * 0.5 - 7 }
        for offset in 0..<17 {
            for count in [0, 1, 7, 8, 15, 16, 17, 31, 33, 64, 100, 255] {
                var destination = [Float](repeating: .nan, count: offset + count + 20)
                source.withUnsafeBufferPointer { src in
                    destination.withUnsafeMutableBufferPointer { dst in
                        ck_stream_copy_level(level, dst.baseAddress! + offset, src.baseAddress! + 3, count)
                    }
                }
                #expect(destination[offset..<(offset + count)].elementsEqual(source[3..<(3 + count)]),
                        "level \(level), offset \(offset), count \(count)")
                #expect(destination[..<offset].allSatisfy(\.isNaN) && destination[(offset + count)...].allSatisfy(\.isNaN),
                        "level \(level), offset \(offset), count \(count): wrote outside its range")
            }
        }
    }

    /// Padded and packed batches of 16 MB and more (streamed) hold the same values as built one by one.
    @Test func largeBatchesHoldTheirSequences() {
        let width = 1024
        let lengths = [1100, 1000, 1700, 333]
        #expect(lengths.reduce(0, +) * width * 4 >= streamingCopyBytes && lengths.max()! * lengths.count * width * 4 >= streamingCopyBytes)
        let sequences = lengths.enumerated().map { v, n in (0..<(n * width)).map { Float(v * 7 + $0 % 1013) } }
        let packed = Tensor.packed(sequences, width: width)
        #expect(packed.shape == [1, lengths.reduce(0, +), width])
        #expect(packed.values.elementsEqual(sequences.joined()))
        let padded = Tensor.padded(sequences, width: width)
        let longest = lengths.max()!
        #expect(padded.shape == [lengths.count, longest, width])
        let values = padded.values
        for (b, s) in sequences.enumerated() {
            let row = values[(b * longest * width)..<((b + 1) * longest * width)]
            #expect(row.prefix(s.count).elementsEqual(s) && row.dropFirst(s.count).allSatisfy { $0 == 0 }, "sequence \(b)")
        }
    }
}
