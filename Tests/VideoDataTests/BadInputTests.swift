import Foundation
import Testing
@testable import VideoData

/// Every bad input listed in data.md gets its own specific error, naming file and video.
@Suite final class BadInputTests {
    let directory: URL

    init() throws { directory = try makeTemporaryDirectory() }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Writes a two-video set (a good `video_1`, then `video_2` as given) and reads all of it.
    private func readWithSecondVideo(_ spec: VideoSpec, expectedFeatureWidth: Int? = nil) throws -> DataError {
        let (data, split) = try writeMRHiSum([("video_1", VideoSpec()), ("video_2", spec)], in: directory)
        let error = try #require(throws: DataError.self) {
            try readEveryVideo(data, split, expectedFeatureWidth: expectedFeatureWidth)
        }
        #expect(error.description.contains(data.path))
        #expect(error.description.contains("video_2"))
        return error
    }

    @Test func missingFile() throws {
        let url = directory.appendingPathComponent("absent.h5")
        let error = try #require(throws: DataError.self) {
            try MRHiSumDataset(file: url, split: DatasetSplit(train: [], val: [], test: []))
        }
        guard case .missingFile(let file) = error else { Issue.record("got \(error)"); return }
        #expect(file == url.path)
        #expect(throws: DataError.self) { try DatasetInspector.inspect(url) }
    }

    @Test func notAnHDF5File() throws {
        let url = directory.appendingPathComponent("mr_hisum.h5")
        try Data("video_1,features\n".utf8).write(to: url)
        let error = try #require(throws: DataError.self) {
            try MRHiSumDataset(file: url, split: DatasetSplit(train: [], val: [], test: []))
        }
        guard case .notHDF5(let file) = error else { Issue.record("got \(error)"); return }
        #expect(file == url.path)
    }

    @Test func splitKeyWithoutGroup() throws {
        let (data, split) = try writeMRHiSum(
            [("video_1", VideoSpec())], in: directory,
            split: DatasetSplit(train: ["video_1"], val: ["video_7"], test: []))
        let error = try #require(throws: DataError.self) { try readEveryVideo(data, split) }
        guard case .missingGroup(_, let video, let part) = error else { Issue.record("got \(error)"); return }
        #expect(video == "video_7" && part == "val")
    }

    @Test func groupWithoutFeatures() throws {
        var spec = VideoSpec()
        spec.writeFeatures = false
        let error = try readWithSecondVideo(spec)
        guard case .missingDataset(_, "video_2", "features") = error else { Issue.record("got \(error)"); return }
    }

    @Test func groupWithoutGtscore() throws {
        var spec = VideoSpec()
        spec.writeGtscore = false
        let error = try readWithSecondVideo(spec)
        guard case .missingDataset(_, "video_2", "gtscore") = error else { Issue.record("got \(error)"); return }
    }

    @Test func featuresNotTwoDimensional() throws {
        var spec = VideoSpec()
        spec.featureShape = [spec.rows * spec.width]
        let error = try readWithSecondVideo(spec)
        guard case .featuresNotMatrix(_, "video_2", let shape) = error else { Issue.record("got \(error)"); return }
        #expect(shape == [24])
    }

    @Test func featureWidthNotTheModelsInputWidth() throws {
        let (data, split) = try writeMRHiSum([("video_1", VideoSpec())], in: directory)
        let error = try #require(throws: DataError.self) { try readEveryVideo(data, split, expectedFeatureWidth: 1024) }
        guard case .featureWidthMismatch(_, "video_1", 4, 1024) = error else { Issue.record("got \(error)"); return }
    }

    @Test func featureWidthDiffersBetweenVideos() throws {
        var spec = VideoSpec()
        spec.width = 5
        let error = try readWithSecondVideo(spec)
        guard case .featureWidthMismatch(_, "video_2", 5, 4) = error else { Issue.record("got \(error)"); return }
    }

    @Test func gtscoreLengthDiffersFromFeatureRows() throws {
        var spec = VideoSpec()
        spec.gtscore = [0.1, 0.2, 0.3, 0.4, 0.5]
        let error = try readWithSecondVideo(spec)
        guard case .lengthMismatch(_, "video_2", 6, 5) = error else { Issue.record("got \(error)"); return }
    }

    @Test func nanInFeatures() throws {
        var spec = VideoSpec()
        var features = [Float](repeating: 0.5, count: spec.rows * spec.width)
        features[9] = .nan
        spec.features = features
        let error = try readWithSecondVideo(spec)
        guard case .nonFinite(_, "video_2", "features", 9, _) = error else { Issue.record("got \(error)"); return }
    }

    @Test func infinityInGtscore() throws {
        var spec = VideoSpec()
        spec.gtscore = [0, 0.1, .infinity, 0.3, 0.4, 0.5]
        let error = try readWithSecondVideo(spec)
        guard case .nonFinite(_, "video_2", "gtscore", 2, let value) = error else { Issue.record("got \(error)"); return }
        #expect(value == .infinity)
    }

    @Test func emptyVideo() throws {
        var spec = VideoSpec()
        spec.rows = 0
        spec.gtscore = []
        spec.changePoints = [0, 1]
        let error = try readWithSecondVideo(spec)
        guard case .emptyVideo(_, "video_2") = error else { Issue.record("got \(error)"); return }
    }

    @Test func changePointsNotSorted() throws {
        var spec = VideoSpec()
        spec.changePoints = [2, 6, 0, 2]
        let error = try readWithSecondVideo(spec)
        guard case .changePointsNotSorted(_, "video_2", 1, 0, 2) = error else { Issue.record("got \(error)"); return }
    }

    @Test func changePointsOverlapping() throws {
        var spec = VideoSpec()
        spec.changePoints = [0, 4, 3, 6]
        let error = try readWithSecondVideo(spec)
        guard case .changePointsOverlap(_, "video_2", 1, 3, 4) = error else { Issue.record("got \(error)"); return }
    }

    @Test func changePointsOutOfRange() throws {
        var spec = VideoSpec()
        spec.changePoints = [0, 3, 3, 7]
        let error = try readWithSecondVideo(spec)
        guard case .changePointsOutOfRange(_, "video_2", 1, 3, 7, 6) = error else { Issue.record("got \(error)"); return }
    }

    @Test func duplicateKeysAcrossSplits() throws {
        let url = directory.appendingPathComponent("split.json")
        try Data(#"{"train_keys": ["video_1", "video_2"], "val_keys": [], "test_keys": ["video_2"]}"#.utf8).write(to: url)
        let error = try #require(throws: DataError.self) { try SplitFile.read(url) }
        guard case .duplicateKey(let file, "video_2", ["train", "test"]) = error else { Issue.record("got \(error)"); return }
        #expect(file == url.path)
    }

    @Test func failedReadModifiesNothing() throws {
        var spec = VideoSpec()
        spec.gtscore = [0, 0.1, .nan, 0.3, 0.4, 0.5]
        let (data, split) = try writeMRHiSum([("video_1", VideoSpec()), ("video_2", spec)], in: directory)
        let before = try Data(contentsOf: data)
        let listing = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(throws: DataError.self) { try readEveryVideo(data, split) }
        #expect(try Data(contentsOf: data) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == listing)
    }

    @Test func inspectorListsEveryProblemWithoutStopping() throws {
        var noScore = VideoSpec()
        noScore.writeGtscore = false
        var overlapping = VideoSpec()
        overlapping.changePoints = [0, 4, 3, 6]
        var gap = VideoSpec()
        gap.changePoints = [0, 2, 3, 6]
        let (data, _) = try writeMRHiSum(
            [("video_1", VideoSpec()), ("video_2", noScore), ("video_3", overlapping), ("video_4", gap)], in: directory,
            split: DatasetSplit(train: ["video_1", "video_2"], val: ["video_3", "video_9"], test: ["video_4"]))
        let report = try DatasetInspector.inspect(data)
        // video_1 only: the gap in video_4 is refused by the reader itself (the rule every run applies).
        #expect(report.videosRead == 1)
        #expect(report.problems.count == 4)
        #expect(report.problems.contains { $0.contains("video_9") && $0.contains("no group") })
        #expect(report.problems.contains { $0.contains("video_2") && $0.contains("gtscore") })
        #expect(report.problems.contains { $0.contains("video_3") && $0.contains("before the previous shot ends") })
        #expect(report.problems.contains { $0.contains("video_4") && $0.contains("belong to no shot") })
        #expect(!report.isValid)
    }
}

@Suite struct InspectionReportTests {
    @Test func lengthHistogramCoversEveryLengthOnce() {
        for lengths in [[5], [3, 4], [110, 150, 130, 111], Array(1...100), [120, 180, 181, 500]] {
            let report = InspectionReport(
                dataFile: "x.h5", layout: .mrHiSum, syntheticNote: nil, splitSource: "test", splitSizes: [],
                featureWidth: 4, videosRead: lengths.count, lengths: lengths, frames: lengths.reduce(0, +),
                tieRate: 0, meanTieRun: 0, gtscoreRange: 0...1, shotsPerVideo: 1, meanShotLength: 1,
                summaryFraction: nil, metadataRows: nil, problems: [])
            let rows = report.description.split(separator: "\n").filter { $0.hasPrefix("  ") && $0.contains("-") }
            let counts = rows.map { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1])! }
            #expect(counts.reduce(0, +) == lengths.count)
            #expect(rows.count <= 8)
        }
    }
}
