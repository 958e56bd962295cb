import Randomness
import Evaluation
import Foundation
import Testing
@testable import VideoData

/// The synthetic generator's promises (data.md, "Synthetic MR.HiSum").
@Suite final class SyntheticGeneratorTests {
    let directory: URL

    init() throws { directory = try makeTemporaryDirectory() }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// A small set that keeps the debug-build test fast; only the feature width differs from the
    /// default content model, which does not change the interest or gtscore construction.
    static var small: SyntheticConfig {
        var config = SyntheticConfig()
        config.trainCount = 16
        config.valCount = 4
        config.testCount = 4
        config.featureWidth = 64
        return config
    }

    private func files(in directory: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            result[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return result
    }

    @Test func sameSeedSameBytesOtherSeedOtherBytes() throws {
        let a = try SyntheticMRHiSum.generate(Self.small, to: directory.appendingPathComponent("a"))
        let b = try SyntheticMRHiSum.generate(Self.small, to: directory.appendingPathComponent("b"))
        var other = Self.small
        other.seed += 1
        let c = try SyntheticMRHiSum.generate(other, to: directory.appendingPathComponent("c"))
        let (filesA, filesB, filesC) = (try files(in: a.directory), try files(in: b.directory), try files(in: c.directory))
        #expect(Set(filesA.keys) == ["mr_hisum.h5", "mr_hisum_split.json", "metadata.csv", "synthetic_interest.h5",
                                     "synthetic.json"])
        #expect(filesA == filesB)
        #expect(filesA["mr_hisum.h5"] != filesC["mr_hisum.h5"])
        #expect(filesA["mr_hisum_split.json"] != filesC["mr_hisum_split.json"])
    }

    @Test func layoutIsMRHiSumAndPassesTheReader() throws {
        let summary = try SyntheticMRHiSum.generate(Self.small, to: directory.appendingPathComponent("set"))
        let dataset = try VideoDatasets.open(summary.dataFile, splitFile: summary.splitFile, expectedFeatureWidth: 64)
        #expect(dataset.layout == .mrHiSum)
        #expect(dataset.split.train.count == 16 && dataset.split.val.count == 4 && dataset.split.test.count == 4)
        #expect(Set(dataset.split.allKeys) == Set((1...24).map { "video_\($0)" }))
        let root = try HDF5File.open(summary.dataFile).root()
        #expect(try root.group("video_1").dataset("gtscore").elementKind() == .float)
        #expect(try root.stringAttribute(SyntheticMRHiSum.markerAttribute)?.contains("not MR.HiSum") == true)
        let metadata = try MetadataFile.read(summary.metadataFile)
        var frames = 0
        for key in dataset.split.allKeys {
            let video = try dataset.video(key)
            frames += video.length
            #expect((Self.small.minLength...Self.small.maxLength).contains(video.length))
            #expect(metadata[key]?.duration == Double(video.length))
            #expect(metadata[key].map { $0.views >= 50_000 } == true)
            // features lie on the de-quantised uint8 grid q * 4/255 - 2
            for value in video.features.prefix(512) {
                let q = (Double(value) + 2) * 255 / 4
                #expect(abs(q - q.rounded()) < 1e-3 && (0...255).contains(q.rounded()))
            }
            #expect(video.gtscore.min() == 0 && video.gtscore.max() == 1)
        }
        #expect(frames == summary.frameCount)
        #expect(try DatasetInspector.inspect(summary.dataFile, expectedFeatureWidth: 64).problems == [])
    }

    @Test func gtscoreComesFromOneHundredBinsWithTieRuns() throws {
        let summary = try SyntheticMRHiSum.generate(Self.small, to: directory.appendingPathComponent("set"))
        let dataset = try MRHiSumDataset(file: summary.dataFile, splitFile: summary.splitFile)
        for key in dataset.split.allKeys {
            let scores = try dataset.video(key).gtscore
            let n = scores.count
            // frames sharing a bin floor(t * 100 / n) share their score; n > 100 gives n - 100 tied pairs
            var tiedPairs = 0
            for t in 1..<n where t * 100 / n == (t - 1) * 100 / n {
                #expect(scores[t] == scores[t - 1])
                tiedPairs += 1
            }
            #expect(tiedPairs == n - 100)
            #expect(Set(scores).count <= 100)
        }
    }

    @Test func changePointsAreHalfOpenAndCoverEveryFrame() throws {
        let summary = try SyntheticMRHiSum.generate(Self.small, to: directory.appendingPathComponent("set"))
        let root = try HDF5File.open(summary.dataFile).root()
        for key in (1...24).map({ "video_\($0)" }) {
            let group = try root.group(key)
            let n = try group.dataset("gtscore").shape()[0]
            let rows = try group.dataset("change_points").readInts()
            #expect(try group.dataset("change_points").elementKind() == .integer)
            #expect(rows.first == 0 && rows.last == n)
            for shot in stride(from: 0, to: rows.count, by: 2) {
                #expect(rows[shot] < rows[shot + 1])
                if shot + 2 < rows.count { #expect(rows[shot + 1] == rows[shot + 2]) }
            }
        }
    }

    @Test func gtSummaryIsTheKnapsackWithinFifteenPercent() throws {
        let summary = try SyntheticMRHiSum.generate(Self.small, to: directory.appendingPathComponent("set"))
        let dataset = try MRHiSumDataset(file: summary.dataFile, splitFile: summary.splitFile)
        for key in dataset.split.allKeys {
            let video = try dataset.video(key)
            let chosen = try #require(video.gtSummary)
            #expect(chosen.allSatisfy { $0 == 0 || $0 == 1 })
            let selected = chosen.filter { $0 == 1 }.count
            #expect(selected <= Int(0.15 * Double(video.length)))
            #expect(selected > 0)
            // whole shots only
            for shot in video.changePoints {
                #expect(Set(chosen[shot.start..<shot.end]).count == 1)
            }
            #expect(chosen == keyshotSummary(frameScores: video.gtscore.map { Double($0) },
                                             shots: video.changePoints).map { $0 ? Float(1) : 0 })
        }
    }

    @Test func noiselessInterestRanksFarBetterThanShuffledOrConstant() throws {
        let summary = try SyntheticMRHiSum.generate(Self.small, to: directory.appendingPathComponent("set"))
        let dataset = try MRHiSumDataset(file: summary.dataFile, splitFile: summary.splitFile)
        var perfect: [Double] = [], shuffled: [Double] = []
        var constantSkipped = 0
        var random = SeededGenerator(seed: 7)
        for key in dataset.split.allKeys {
            let gtscore = try dataset.video(key).gtscore.map(Double.init)
            let interest = try SyntheticMRHiSum.interest(of: key, in: summary.directory).map(Double.init)
            perfect.append(spearman(interest, gtscore))
            var permuted = interest
            random.shuffle(&permuted)
            shuffled.append(spearman(permuted, gtscore))
            // a constant prediction has no rank correlation: evaluation.md skips it (std < 1e-8)
            let constant = [Double](repeating: 0.5, count: gtscore.count)
            if spearman(constant, gtscore).isNaN { constantSkipped += 1 }
        }
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(values.count) }
        print("synthetic Spearman: noiseless \(mean(perfect)) (min \(perfect.min()!)), shuffled \(mean(shuffled))")
        #expect(mean(perfect) > 0.8)
        #expect(perfect.min()! > 0.6)
        #expect(abs(mean(shuffled)) < 0.1)
        #expect(constantSkipped == perfect.count)
    }

    /// The signal is in the features and needs both views: a hand-made predictor computed from the
    /// features alone (cosine to the video's mean feature + distance to the neighbouring frames) ranks
    /// well, and either half alone ranks clearly worse.
    @Test func featuresCarryBothTheLocalAndTheGlobalSignal() throws {
        let summary = try SyntheticMRHiSum.generate(Self.small, to: directory.appendingPathComponent("set"))
        let dataset = try MRHiSumDataset(file: summary.dataFile, splitFile: summary.splitFile)
        func minMax(_ v: [Double]) -> [Double] {
            let (low, high) = (v.min()!, v.max()!)
            return v.map { ($0 - low) / max(high - low, 1e-12) }
        }
        var both: [Double] = [], globalOnly: [Double] = [], localOnly: [Double] = []
        for key in dataset.split.allKeys {
            let video = try dataset.video(key)
            let (n, w) = (video.length, video.featureWidth)
            let rows = (0..<n).map { t in video.features[(t * w)..<((t + 1) * w)].map(Double.init) }
            let mean = (0..<w).map { j in rows.reduce(0) { $0 + $1[j] } / Double(n) }
            let global = rows.map { row in
                zip(row, mean).reduce(0) { $0 + $1.0 * $1.1 } / (SyntheticVideoMaker.norm(row) * SyntheticVideoMaker.norm(mean))
            }
            let steps = (1..<n).map { t in SyntheticVideoMaker.norm(zip(rows[t], rows[t - 1]).map { $0 - $1 }) }
            let local = (0..<n).map { t in t == 0 ? steps[0] : t == n - 1 ? steps[n - 2] : (steps[t - 1] + steps[t]) / 2 }
            let gtscore = video.gtscore.map(Double.init)
            both.append(spearman(zip(minMax(global), minMax(local)).map { $0 + $1 }, gtscore))
            globalOnly.append(spearman(global, gtscore))
            localOnly.append(spearman(local, gtscore))
        }
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(values.count) }
        print("feature-only predictor Spearman: both \(mean(both)), global \(mean(globalOnly)), local \(mean(localOnly))")
        #expect(mean(both) > 0.75)
        #expect(mean(globalOnly) < mean(both) - 0.15)
        #expect(mean(localOnly) < mean(both) - 0.15)
    }

    @Test func anExistingSetIsNotOverwrittenUnlessAsked() throws {
        let target = directory.appendingPathComponent("set")
        try SyntheticMRHiSum.generate(Self.small, to: target)
        let before = try files(in: target)
        var other = Self.small
        other.seed = 99
        let error = try #require(throws: DataError.self) { try SyntheticMRHiSum.generate(other, to: target) }
        guard case .destinationExists = error else { Issue.record("got \(error)"); return }
        #expect(try files(in: target) == before)
        try SyntheticMRHiSum.generate(other, to: target, overwrite: true)
        #expect(try files(in: target) != before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["set"])
    }

    @Test func aFailedGenerationLeavesNothingBehind() throws {
        let target = directory.appendingPathComponent("set")
        #expect(throws: DataError.self) {
            try SyntheticMRHiSum.generate(Self.small, to: target, overwrite: false, failAfterVideos: 5)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [])
        // and with an earlier complete set in place, a failed regeneration keeps it intact
        try SyntheticMRHiSum.generate(Self.small, to: target)
        let before = try files(in: target)
        #expect(throws: DataError.self) {
            try SyntheticMRHiSum.generate(Self.small, to: target, overwrite: true, failAfterVideos: 3)
        }
        #expect(try files(in: target) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["set"])
    }

    @Test func badSettingsAreRejected() {
        var config = Self.small
        config.minLength = 200
        config.maxLength = 100
        #expect(throws: DataError.self) { try SyntheticMRHiSum.generate(config, to: self.directory.appendingPathComponent("x")) }
    }
}
