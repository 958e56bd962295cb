@testable import TensorCore
import Testing

struct BufferPoolTests {
    /// A request takes its own size when cached, else the smallest cached block of at most twice its size.
    @Test func bestFitIsTheSmallestCachedBlockWithinTwiceTheRequest() {
        let mib = 1 << 20
        #expect(BufferPool.bestFit(3 * mib, cached: [2 * mib, 3 * mib, 5 * mib]) == 3 * mib)
        #expect(BufferPool.bestFit(3 * mib, cached: [7 * mib, 5 * mib, 4 * mib, 2 * mib]) == 4 * mib)
        #expect(BufferPool.bestFit(3 * mib, cached: [6 * mib]) == 6 * mib)
        #expect(BufferPool.bestFit(3 * mib, cached: [6 * mib + 1, 2 * mib]) == nil)
        #expect(BufferPool.bestFit(3 * mib, cached: []) == nil)
    }

    /// Storage from a larger cached block still has its own element count, and a block handed back is
    /// released at its real size (the pool's books balance: nothing cached after a trim).
    @Test func storageKeepsItsCountOnALargerBlock() {
        let storage = Storage(repeating: 1.5, count: 300_000)
        #expect(storage.count == 300_000 && storage.blockBytes >= 300_000 * MemoryLayout<Float>.stride)
        #expect((0..<storage.count).allSatisfy { storage.pointer[$0] == 1.5 })
    }
}
