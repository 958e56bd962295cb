import Evaluation
import Foundation
import Testing
@testable import VideoData

@Suite final class BatchingTests {
    let directory: URL
    let dataset: any VideoDataset
    let keys: [String]

    /// Ten videos of lengths 3, 4, ..., 12 with width 2; feature (t, f) of video v is v * 100 + t + f / 10.
    init() throws {
        directory = try makeTemporaryDirectory()
        var videos: [(String, VideoSpec)] = []
        for v in 1...10 {
            var spec = VideoSpec()
            spec.rows = v + 2
            spec.width = 2
            var features: [Float] = []
            for t in 0..<spec.rows {
                let base = Float(v * 100 + t)
                features += [base, base + 0.1]
            }
            spec.features = features
            spec.gtscore = (0..<spec.rows).map { Double(v) + Double($0) / 100 }
            spec.changePoints = [0, Int64(spec.rows)]
            videos.append(("video_\(v)", spec))
        }
        let (data, split) = try writeMRHiSum(videos, in: directory)
        dataset = try VideoDatasets.open(data, splitFile: split)
        keys = videos.map(\.0)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    @Test func readsEachVideosFramesAndScores() throws {
        for v in [2, 5, 1] {
            let video = try dataset.video("video_\(v)")
            #expect(video.key == "video_\(v)" && video.featureWidth == 2)
            #expect(video.length == [1: 3, 2: 4, 5: 7][v])
            for t in 0..<video.length {
                #expect(video.gtscore[t] == Float(Double(v) + Double(t) / 100))
                #expect(video.features[t * 2] == Float(v * 100 + t) && video.features[t * 2 + 1] == Float(v * 100 + t) + 0.1)
            }
        }
    }

    @Test func unshuffledPlanKeepsOrderAndCoversEveryKey() throws {
        let plan = try BatchLoader(dataset: dataset, keys: keys, batchSize: 4, shuffle: false).plan(epoch: 3)
        #expect(plan == [Array(keys[0..<4]), Array(keys[4..<8]), Array(keys[8..<10])])
    }

    @Test func shuffleIsSeededAndChangesPerEpoch() throws {
        let loader = try BatchLoader(dataset: dataset, keys: keys, batchSize: 3, shuffle: true, seed: 11)
        let again = try BatchLoader(dataset: dataset, keys: keys, batchSize: 3, shuffle: true, seed: 11)
        let otherSeed = try BatchLoader(dataset: dataset, keys: keys, batchSize: 3, shuffle: true, seed: 12)
        #expect(loader.plan(epoch: 0) == again.plan(epoch: 0))
        #expect(loader.plan(epoch: 1) == again.plan(epoch: 1))
        #expect(loader.plan(epoch: 0) != loader.plan(epoch: 1))
        #expect(loader.plan(epoch: 0) != otherSeed.plan(epoch: 0))
        for epoch in 0..<5 {
            let plan = loader.plan(epoch: epoch)
            #expect(plan.flatMap { $0 }.sorted() == keys.sorted())
            #expect(plan.map(\.count) == [3, 3, 3, 1])
        }
    }

    @Test func bucketingGroupsSimilarLengthsAndCutsPadding() throws {
        let bucketed = try BatchLoader(dataset: dataset, keys: keys, batchSize: 2, shuffle: true, seed: 5,
                                       bucketByLength: true)
        let plain = try BatchLoader(dataset: dataset, keys: keys, batchSize: 2, shuffle: true, seed: 5)
        func padding(_ loader: BatchLoader, epoch: Int) throws -> Int {
            // Padded rows of each batch padded to its longest video.
            try loader.plan(epoch: epoch).reduce(0) { total, batch in
                let lengths = try batch.map { try dataset.length(of: $0) }
                return total + lengths.max()! * lengths.count - lengths.reduce(0, +)
            }
        }
        for epoch in 0..<3 {
            let plan = bucketed.plan(epoch: epoch)
            #expect(plan.flatMap { $0 }.sorted() == keys.sorted())
            // lengths are 3...12, so sorted pairs differ by exactly one frame
            #expect(try padding(bucketed, epoch: epoch) == 5)
            #expect(try padding(plain, epoch: epoch) >= 5)
        }
        #expect(bucketed.plan(epoch: 0) != bucketed.plan(epoch: 1))
    }

    @Test func rejectsANonPositiveBatchSize() {
        #expect(throws: DataError.self) { try BatchLoader(dataset: self.dataset, keys: self.keys, batchSize: 0, shuffle: false) }
    }
}

/// The generator builds gt_summary with Evaluation's keyshot summary (tested against brute force in
/// EvaluationTests); this pins the upstream rule it relies on.
@Suite struct KeyshotSummaryUseTests {
    @Test func keyshotSummaryScoresShotsInclusiveOfTheirEnd() {
        // shot [0, 2) scores mean(s0, s1, s2) = 0.6: the next shot's first frame counts (upstream rule)
        let scores: [Float] = [0, 0, 1.8, 0.5, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        let shots = [Shot(start: 0, end: 2), Shot(start: 2, end: 5), Shot(start: 5, end: 20)]
        // budget floor(0.15 * 20) = 3: shot 1 (weight 3, score mean(1.8, .5, .5, .5) = 0.825) beats shot 0 (0.6)
        let summary = keyshotSummary(frameScores: scores.map { Double($0) },
                                     shots: shots)
        #expect(summary == [false, false, true, true, true] + [Bool](repeating: false, count: 15))
    }
}
