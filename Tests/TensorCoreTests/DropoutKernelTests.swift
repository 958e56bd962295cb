import CKernels
import Foundation
import Testing
@testable import TensorCore
import TestSupport

/// The vectorised dropout kernels: the keep flags against a scalar xoshiro256** loop written from the
/// definition, at every instruction-set level; the fused GELU + dropout against the two separate ops
/// (bit for bit) and against finite differences.
@Suite("Dropout kernels") struct DropoutKernelTests {
    /// DropoutKeepFlags' definition, one block after another with the project's scalar generator.
    static func referenceFlags(count: Int, p: Float, seed: UInt64) -> [UInt8] {
        let threshold = UInt64((Double(p) * 16_777_216).rounded(.up)), block = DropoutKeepFlags.block
        var flags = [UInt8](repeating: 7, count: count)
        for b in 0..<((count + block - 1) / block) {
            var generator = SeededGenerator(seed: SplitMix64.derive(seed, UInt64(b)))
            var i = b * block
            let end = Swift.min(count, i + block)
            while i < end {
                let word = generator.next()
                flags[i] = (word >> 40) < threshold ? 0 : 1
                if i + 1 < end { flags[i + 1] = ((word >> 16) & 0xFF_FFFF) < threshold ? 0 : 1 }
                i += 2
            }
        }
        return flags
    }

    /// Counts below one block, odd ones, and more than one group of eight blocks with a partial last group.
    static let counts = [1, 2, 3, 1001, 65_535, 65_536, 65_537, 2 * 65_536 + 3, 9 * 65_536 + 1, 17 * 65_536 - 5]

    @Test(arguments: [0, 1, 2] as [Int32]) func keepFlagsAtEachLevelAreTheScalarDraws(_ level: Int32) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        let block = DropoutKeepFlags.block
        for (k, count) in Self.counts.enumerated() {
            let p: Float = k % 2 == 0 ? 0.5 : 0.1
            let seed = UInt64(1000 + k)
            let threshold = UInt64((Double(p) * 16_777_216).rounded(.up))
            var flags = [UInt8](repeating: 7, count: count)
            let blocks = (count + block - 1) / block
            // Two calls splitting the blocks unevenly, as threads do.
            let split = Swift.min(blocks, 3)
            ck_dropout_keep_flags_level(level, seed, 0, split, block, count, threshold, &flags)
            ck_dropout_keep_flags_level(level, seed, split, blocks, block, count, threshold, &flags)
            #expect(flags == Self.referenceFlags(count: count, p: p, seed: seed), "level \(level), count \(count)")
        }
    }

    @Test func dropoutMaskIsTheScalarDrawsForItsSeed() {
        let count = 3 * 65_536 + 11
        let rng = RandomSource(seed: 42)
        let seed = RandomSource(seed: 42).withGenerator { $0.next() }
        let mask = DropoutKeepFlags(count: count, p: 0.3, rng: rng)
        #expect(Array(UnsafeBufferPointer(start: mask.flags, count: count)) == Self.referenceFlags(count: count, p: 0.3, seed: seed))
    }

    @Test(arguments: [0, 1, 2] as [Int32]) func geluDropoutKernelsAtEachLevelAreTheTwoPasses(_ level: Int32) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        let n = 10_007
        var rng = SeededGenerator(seed: 3)
        let x = (0..<n).map { _ in Float(rng.normal()) * 3 }, g = (0..<n).map { _ in Float(rng.normal()) }
        let keep = (0..<n).map { _ in UInt8(rng.nextUnitFloat() < 0.6 ? 1 : 0) }
        let scale: Float = 1 / (1 - 0.4)
        var gelu = [Float](repeating: .nan, count: n), geluGrad = [Float](repeating: .nan, count: n)
        let droppedGrad = (0..<n).map { g[$0] * (Float(keep[$0]) * scale) }
        ck_gelu_forward_level(level, x, &gelu, n)
        ck_gelu_backward_level(level, x, droppedGrad, &geluGrad, n)
        var y = [Float](repeating: .nan, count: n), gx = [Float](repeating: .nan, count: n)
        ck_gelu_dropout_forward_level(level, x, keep, scale, &y, n)
        ck_gelu_dropout_backward_level(level, x, keep, scale, g, &gx, n)
        #expect(y == (0..<n).map { gelu[$0] * (Float(keep[$0]) * scale) })
        #expect(gx == geluGrad)
    }

    /// The ReLU-dropout kernels at each level against ReLU then dropout written out, with exact zeros,
    /// negative zeros and NaN among the inputs (ReLU maps NaN to 0, as ReluFunction does).
    @Test(arguments: [0, 1, 2] as [Int32]) func reluDropoutKernelsAtEachLevelAreTheTwoPasses(_ level: Int32) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        let n = 10_007
        var rng = SeededGenerator(seed: 4)
        let x = (0..<n).map { i -> Float in i % 11 == 0 ? 0 : i % 13 == 0 ? -0.0 : i % 101 == 0 ? .nan : Float(rng.normal()) }
        let g = (0..<n).map { _ in Float(rng.normal()) }
        let keep = (0..<n).map { _ in UInt8(rng.nextUnitFloat() < 0.6 ? 1 : 0) }
        let scale: Float = 1 / (1 - 0.4)
        var y = [Float](repeating: .nan, count: n), gx = [Float](repeating: .nan, count: n)
        ck_relu_dropout_forward_level(level, x, keep, scale, &y, n)
        ck_relu_dropout_backward_level(level, x, keep, scale, g, &gx, n)
        let relu = x.map { $0 > 0 ? $0 : 0 }
        #expect(mismatches(y.map(\.bitPattern), (0..<n).map { (relu[$0] * (Float(keep[$0]) * scale)).bitPattern }).none)
        #expect(mismatches(gx.map(\.bitPattern), (0..<n).map { (g[$0] * (Float(keep[$0]) * scale) * (x[$0] > 0 ? 1 : 0)).bitPattern }).none)
    }

    @Test func geluDropoutIsGeluThenDropout() {
        let packed = PackedSequences(lengths: [3, 1, 4], paddedLength: 4)
        for packing in [nil, packed] {
            let x = randomTensor([packing?.rows ?? 8, 37], seed: 4, scale: 2)
            x.requiresGrad = true
            defer { x.requiresGrad = false; x.grad = nil }
            let separate = x.gelu().dropout(0.5, training: true, rng: RandomSource(seed: 5), packed: packing)
            let upstream = randomTensor(separate.shape, seed: 6)
            separate.backward(seed: upstream)
            let separateGrad = x.grad!.values
            x.grad = nil
            let fused = x.geluDropout(0.5, training: true, rng: RandomSource(seed: 5), packed: packing)
            fused.backward(seed: upstream)
            #expect(mismatches(fused.values, separate.values).none)
            #expect(mismatches(x.grad!.values, separateGrad).none)
        }
        let x = randomTensor([5, 6], seed: 7)
        #expect(x.geluDropout(0.5, training: false, rng: RandomSource(seed: 1)).values == x.gelu().values)
    }

    @Test func geluDropoutGradientMatchesFiniteDifferences() {
        // A fresh stream each call, so every evaluation drops the same elements.
        checkGradients([randomTensor([4, 9], seed: 8, scale: 1.5)]) {
            $0[0].geluDropout(0.3, training: true, rng: RandomSource(seed: 9))
        }
    }
}
