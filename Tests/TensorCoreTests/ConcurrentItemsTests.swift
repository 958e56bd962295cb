import Synchronization
import Testing
@testable import TensorCore

/// `Threading.concurrentItems`: every item runs once, single-threaded inside, in the caller's grad mode,
/// and its ops give the same bits as on the caller's threads.
@Suite("Concurrent items") struct ConcurrentItemsTests {
    @Test func everyItemRunsOnceSingleThreadedInTheCallersGradMode() {
        Threading.withCount(2) {
            let seen = Mutex([(runs: Int, threads: Int, grad: Bool)](repeating: (0, 0, true), count: 23))
            GradMode.withNoGrad {
                Threading.concurrentItems(23) { i in
                    let threads = Threading.count, grad = GradMode.isEnabled
                    seen.withLock { $0[i].runs += 1; $0[i].threads = threads; $0[i].grad = grad }
                }
            }
            let items = seen.withLock { $0 }
            #expect(items.allSatisfy { $0.runs == 1 && $0.threads == 1 && !$0.grad })
            // Outside, the count and grad mode are the caller's again.
            #expect(GradMode.isEnabled)
            Threading.concurrentItems(0) { _ in Issue.record("no items, no calls") }
        }
    }

    /// The core's own loops inside items (single-threaded there) give the bits they give split over two
    /// threads outside, and products agree to rounding: OpenBLAS may block a product differently on one
    /// thread than on two, so its bits can differ with the thread count.
    @Test func itemsGiveTheCallersResults() {
        Threading.withCount(2) {
            let inputs = (0..<4).map { randomTensor([300, 257], seed: 60 + UInt64($0), scale: 4) }
            let weight = randomTensor([257, 190], seed: 70)
            // The tolerance is relative to the largest value: the product's, 1e-5 of it, is rounding over 257
            // terms (OpenBLAS's Haswell kernel moved values of up to ~100 by 1.7e-4 between 1 and 2 threads).
            let ops: [(name: String, tolerance: Float, op: (Tensor) -> Tensor)] = [
                ("softmax", 0, { $0.softmax() }), ("gelu", 0, { $0.gelu() }), ("matmul", 1e-5, { $0.matmul(weight) })]
            for (name, tolerance, op) in ops {
                let expected = inputs.map { op($0).values }
                let results = Mutex([[Float]](repeating: [], count: inputs.count))
                Threading.concurrentItems(inputs.count) { i in
                    let value = op(inputs[i]).values
                    results.withLock { $0[i] = value }
                }
                let got = results.withLock { $0 }
                let worst = zip(got, expected).map { zip($0, $1).map { abs($0 - $1) }.max() ?? .infinity }.max()!
                let largest = expected.joined().map(abs).max()!
                #expect(got.map(\.count) == expected.map(\.count) && worst <= tolerance * largest,
                        "\(name): largest difference \(worst), largest value \(largest)")
            }
        }
    }

    struct Failure: Error, Equatable { let item: Int }

    /// The results come back in the items' order, and the first failing item in order is the error.
    @Test func concurrentMapKeepsTheOrderAndTheFirstError() throws {
        try Threading.withCount(2) { () throws -> Void in
            let items = Array(0..<41)
            #expect(try Threading.concurrentMap(items) { $0 * $0 } == items.map { $0 * $0 })
            #expect(throws: Failure(item: 7)) {
                try Threading.concurrentMap(items) { i -> Int in
                    if i == 7 || i == 30 { throw Failure(item: i) }
                    return i
                }
            }
        }
    }
}
