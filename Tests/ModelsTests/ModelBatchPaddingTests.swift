import Models
import Randomness
import TensorCore
import Testing
import VideoData

/// `ModelBatch` lays videos straight into pooled tensors (only padding is cleared); it must hold exactly
/// the padded or packed batch built element by element here, whatever the reused buffers held before.
struct ModelBatchPaddingTests {
    static let width = 1024
    // Wide enough (6 MB of features) for the buffer pool, which keeps blocks of 1 MiB and more.
    static let lengths = [50, 300, 1, 300, 120]

    static func videos() -> [Video] {
        var random = SeededGenerator(seed: 11)
        return lengths.enumerated().map { index, length in
            Video(key: "v\(index)", featureWidth: width,
                  features: (0..<(length * width)).map { _ in random.uniform(-1, 1) },
                  gtscore: (0..<length).map { _ in random.uniform(0.01, 1) }, changePoints: [])
        }
    }

    /// Fills buffers of the batch's sizes with garbage and hands them back, so the next batch reuses them.
    static func dirtyThePool() {
        let dirty = [Tensor(repeating: .nan, shape: [5, 300, width]), Tensor(repeating: .nan, shape: [1, 771, width]),
                     Tensor(repeating: 7, shape: [5, 300]), Tensor(repeating: 7, shape: [1, 771])]
        #expect(dirty.allSatisfy { $0.count > 0 })
    }

    /// Element by element (NaN from a reused buffer compares unequal), counted so a failure stays short.
    static func mismatches(_ a: [Float], _ b: [Float]) -> Int { a.count == b.count ? zip(a, b).filter { $0 != $1 }.count : -1 }

    @Test func paddedBatchHoldsEachVideoThenZerosOnReusedBuffers() throws {
        let videos = Self.videos(), longest = 300
        var features = [Float](repeating: 0, count: videos.count * longest * Self.width)
        var mask = [Float](repeating: 0, count: videos.count * longest), gtscore = mask
        for (b, video) in videos.enumerated() {
            for t in 0..<video.length {
                mask[b * longest + t] = 1
                gtscore[b * longest + t] = video.gtscore[t]
                for f in 0..<Self.width { features[(b * longest + t) * Self.width + f] = video.features[t * Self.width + f] }
            }
        }
        for round in 0..<3 {
            Self.dirtyThePool()
            let batch = try ModelBatch(videos: videos)
            #expect(batch.layout == .padded && batch.features.shape == [5, longest, Self.width] && batch.mask.shape == [5, longest])
            #expect(Self.mismatches(batch.features.values, features) == 0, "round \(round)")
            #expect(Self.mismatches(batch.mask.values, mask) == 0 && Self.mismatches(batch.gtscore.values, gtscore) == 0, "round \(round)")
            #expect(batch.lengths == Self.lengths && batch.keys == videos.map(\.key))
            #expect(videos.indices.map { batch.rows(of: $0) } == videos.indices.map { ($0 * longest)..<($0 * longest + Self.lengths[$0]) })
        }
    }

    @Test func packedBatchHoldsTheVideosEndToEndOnReusedBuffers() throws {
        let videos = Self.videos(), total = Self.lengths.reduce(0, +)
        for round in 0..<3 {
            Self.dirtyThePool()
            let batch = try ModelBatch(videos: videos, layout: .packed)
            #expect(batch.layout == .packed && batch.features.shape == [1, total, Self.width] && batch.gtscore.shape == [1, total])
            #expect(Self.mismatches(batch.features.values, videos.flatMap(\.features)) == 0, "round \(round)")
            #expect(Self.mismatches(batch.gtscore.values, videos.flatMap(\.gtscore)) == 0, "round \(round)")
            #expect(Self.mismatches(batch.mask.values, [Float](repeating: 1, count: total)) == 0, "round \(round)")
            var start = 0
            for (b, length) in Self.lengths.enumerated() {
                #expect(batch.rows(of: b) == start..<(start + length))
                start += length
            }
        }
    }
}
