import Foundation
import Testing
@testable import TensorCore
import TestSupport

/// The trainer's gradient guards over several blocks and threads: the global norm against a double-precision
/// sum, and the finiteness check against a non-finite value placed anywhere (vector body, tail, later block).
@Suite("Gradient norm clipping and finiteness") struct GradientGuardTests {
    static func parameters(_ counts: [Int], seed: UInt64) -> [Tensor] {
        var rng = SeededGenerator(seed: seed)
        return counts.map { n in
            let p = Tensor(zeros: [n])
            p.grad = Tensor.normal([n], std: 0.01, rng: &rng)
            return p
        }
    }

    @Test func clipMatchesADoubleSumAndScalesEveryGradient() {
        Threading.withCount(2) {
            let params = Self.parameters([200_003, 17, 65_536], seed: 3)
            let before = params.map { $0.grad!.values }
            let expected = before.joined().reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let norm = clipGradientNorm(params, maxNorm: 0.5)
            #expect(abs(Double(norm) - expected) <= 1e-5 * expected)
            let scale = Float(0.5 / (expected + 1e-6))
            for (p, old) in zip(params, before) {
                #expect(maxAbsDifference(p.grad!.values, old.map { $0 * scale }) <= 1e-7)
            }
            // Below the limit nothing changes.
            let small = Self.parameters([1000], seed: 4)
            let kept = small[0].grad!.values
            _ = clipGradientNorm(small, maxNorm: 100)
            #expect(small[0].grad!.values == kept)
        }
    }

    @Test(arguments: [0, 15, 16, 65_535, 65_536, 131_071, 140_000])
    func aSingleNonFiniteValueAnywhereIsFound(position: Int) {
        Threading.withCount(2) {
            for bad in [Float.nan, .infinity, -.infinity] {
                let params = Self.parameters([33, 140_001], seed: 5)
                #expect(gradientsAreFinite(params))
                params[1].grad!.storage.pointer[position] = bad
                #expect(!gradientsAreFinite(params), "\(bad) at \(position)")
            }
            let huge = Self.parameters([100], seed: 6)
            huge[0].grad!.storage.pointer[7] = .greatestFiniteMagnitude
            #expect(gradientsAreFinite(huge))
        }
    }
}
