import Models
import Randomness
import TensorCore
import Testing
import VideoData

/// `ModelBatch` pads straight into pooled tensors (only the padding is cleared); it must hold exactly the
/// data layer's padded batch (`VideoBatch`), whatever the reused buffers held before.
struct ModelBatchPaddingTests {
    @Test func paddedTensorsEqualTheDataLayersBatchOnReusedBuffers() throws {
        var random = SeededGenerator(seed: 11)
        // Wide enough (6 MB of features) for the buffer pool, which keeps blocks of 1 MiB and more.
        let width = 1024
        let videos = [50, 300, 1, 300, 120].enumerated().map { index, length in
            Video(key: "v\(index)", featureWidth: width,
                  features: (0..<(length * width)).map { _ in random.uniform(-1, 1) },
                  gtscore: (0..<length).map { _ in random.uniform(0.01, 1) }, changePoints: [])
        }
        let reference = VideoBatch(videos: videos)
        for round in 0..<3 {
            // Fill buffers of the batch's sizes with garbage and hand them back, so the batch reuses them.
            do {
                let dirty = [Tensor(repeating: .nan, shape: [5, 300, width]), Tensor(repeating: 7, shape: [5, 300])]
                #expect(dirty.allSatisfy { $0.count > 0 })
            }
            let batch = try ModelBatch(videos: videos)
            #expect(batch.features.shape == [5, 300, width] && batch.mask.shape == [5, 300] && batch.gtscore.shape == [5, 300])
            // Element by element (NaN from a reused buffer compares unequal), counted so a failure stays short.
            func mismatches(_ a: [Float], _ b: [Float]) -> Int { a.count == b.count ? zip(a, b).filter { $0 != $1 }.count : -1 }
            #expect(mismatches(batch.features.values, reference.features) == 0, "round \(round)")
            #expect(mismatches(batch.mask.values, reference.mask) == 0 && mismatches(batch.gtscore.values, reference.gtscore) == 0, "round \(round)")
            #expect(batch.lengths == reference.lengths && batch.keys == reference.keys)
        }
    }
}
