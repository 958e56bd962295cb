import Foundation
import Testing
@testable import VideoData

/// Issue 17's data cases: each is refused with the file, the video and what is wrong, or (legitimate
/// but unusual) read with a warning; `bench data inspect` reports exactly what the reader refuses.
@Suite final class DataHardeningTests {
    let directory: URL

    init() throws { directory = try makeTemporaryDirectory() }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// `video_1` (train) and `video_3` (val) good, `video_2` (train) written by `body`.
    private func write(_ body: (HDF5Group) throws -> Void, val: [String] = ["video_3"]) throws -> (data: URL, split: URL) {
        let data = directory.appendingPathComponent("mr_hisum.h5")
        let file = try HDF5File.create(data)
        do {
            let root = try file.root()
            try VideoSpec().write(into: root, key: "video_1")
            try VideoSpec().write(into: root, key: "video_3")
            try body(try root.createGroup("video_2"))
        }
        try file.close()
        let split = directory.appendingPathComponent("mr_hisum_split.json")
        try SplitFile.writeMRHiSum(DatasetSplit(train: ["video_1", "video_2"], val: val, test: []), to: split)
        return (data, split)
    }

    private func refused(_ data: URL, _ split: URL) throws -> DataError {
        let error = try #require(throws: DataError.self) { try readEveryVideo(data, split) }
        #expect(error.description.contains(data.path) && error.description.contains("video_2"))
        // The inspector reports the very same message.
        let report = try DatasetInspector.inspect(data)
        #expect(!report.isValid && report.problems.contains(error.description), "\(report.problems)")
        return error
    }

    @Test func giganticDeclaredExtentsAreRefusedBeforeAnyAllocation() throws {
        // 1e12 rows of width 4: 16 TB as float32, beyond any machine (the issue's case was 2e9 x 1024).
        let rows = 1_000_000_000_000
        let (data, split) = try write { group in
            try group.declare("features", shape: [rows, 4], as: Float.self)
            try group.declare("gtscore", shape: [rows], as: Double.self)
            try group.declare("gt_summary", shape: [rows], as: Float.self)
            try group.write([Int64(0), Int64(rows)], shape: [1, 2], to: "change_points")
        }
        #expect(try Data(contentsOf: data).count < 1 << 20)   // the file itself is small
        let error = try refused(data, split)
        guard case .tooLarge(_, "video_2", "features", [rows, 4], _, let limit) = error else { Issue.record("got \(error)"); return }
        #expect(limit == DataLimits.videoBytes)
        #expect(error.description.contains("16.0 TB in memory, more than the"))
        // `length(of:)` (what a run calls first, from shapes alone) refuses it too.
        let dataset = try VideoDatasets.open(data, splitFile: split)
        #expect(throws: DataError.self) { try dataset.length(of: "video_2") }
    }

    @Test func integerFeaturesAreRefusedNamingTheType() throws {
        let (data, split) = try write { group in
            try group.write([Int8](repeating: 3, count: 24), shape: [6, 4], to: "features")
            try group.write((0..<6).map { Double($0) / 6 }, shape: [6], to: "gtscore")
            try group.write([Int64(0), 6], shape: [1, 2], to: "change_points")
        }
        let error = try refused(data, split)
        guard case .nonFloatFeatures(_, "video_2", "int8") = error else { Issue.record("got \(error)"); return }
        #expect(error.description.contains("`features` are stored as int8, not as floats"))
    }

    @Test func float64FeaturesAndGtscoreOutsideTheUnitRangeAreWarnings() throws {
        let (data, split) = try write { group in
            try group.write((0..<24).map { Double($0) / 24 }, shape: [6, 4], to: "features")
            try group.write([0, 5.0, -3.0, 0.5, 0.2, 0.1], shape: [6], to: "gtscore")
            try group.write([Int64(0), 6], shape: [1, 2], to: "change_points")
            try group.write([Float](repeating: 0, count: 6), shape: [6], to: "gt_summary")
        }
        let dataset = try VideoDatasets.open(data, splitFile: split)
        let video = try dataset.video("video_2")
        #expect(video.warnings.map(\.kind) == ["`features` stored as float64 (read as float32)",
                                               "`gtscore` outside [0, 1] (MSE is not comparable with MR.HiSum results)"])
        let report = try DatasetInspector.inspect(data)
        #expect(report.isValid, "\(report.problems)")
        #expect(report.warnings.contains { $0.contains("float64") && $0.contains("video_2") })
        #expect(report.warnings.contains { $0.contains("outside [0, 1]") && $0.contains("video_2 (range [-3.0, 5.0])") })
        #expect(report.description.contains("WARNING: \(data.path): `gtscore` outside [0, 1]"))
    }

    @Test func summaryValuesOtherThanZeroOrOneAreRefused() throws {
        let (data2, split2) = try write { group in
            try group.write((0..<24).map { Float($0) / 24 }, shape: [6, 4], to: "features")
            try group.write((0..<6).map { Double($0) / 6 }, shape: [6], to: "gtscore")
            try group.write([Int64(0), 6], shape: [1, 2], to: "change_points")
            try group.write([Float(0), 1, 2.0, 0, 0, 1], shape: [6], to: "gt_summary")
        }
        let error = try refused(data2, split2)
        guard case .badSummaryValue(_, "video_2", "gt_summary", 2, 2.0) = error else { Issue.record("got \(error)"); return }
        #expect(error.description.contains("`gt_summary` holds 2.0 at index 2; a keyshot summary holds only 0 and 1"))
    }

    private static func plain(_ group: HDF5Group, changePoints: [Int64] = [0, 6], summary: Bool = true) throws {
        try group.write((0..<24).map { Float($0) / 24 }, shape: [6, 4], to: "features")
        try group.write((0..<6).map { Double($0) / 6 }, shape: [6], to: "gtscore")
        try group.write(changePoints, shape: [changePoints.count / 2, 2], to: "change_points")
        if summary { try group.write([Float(1), 1, 0, 0, 0, 0], shape: [6], to: "gt_summary") }
    }

    /// MR.HiSum's shots tile the video (its evaluation concatenates them frame by frame): a gap is refused
    /// by the reader, so by `bench model` and by `bench data inspect` with the same words.
    @Test func shotsWithAGapAreRefusedByTheReaderAndTheInspectorAlike() throws {
        let (data, split) = try write { try Self.plain($0, changePoints: [0, 2, 3, 6]) }
        let error = try refused(data, split)
        guard case .changePointsGap(_, "video_2", 1, 2, 3, 6) = error else { Issue.record("got \(error)"); return }
        #expect(error.description.contains("frames 2..<3 belong to no shot"))
        for (points, gap) in [([Int64(1), 6], "frames 0..<1"), ([0, 4], "frames 4..<6")] {
            try FileManager.default.removeItem(at: data)
            _ = try write { try Self.plain($0, changePoints: points) }
            let error = try refused(data, split)
            #expect(error.description.contains(gap), "\(error)")
        }
    }

    @Test func anMRHiSumSplitWithoutValidationVideosIsRefused() throws {
        let (data, split) = try write({ try Self.plain($0) }, val: [])
        let dataset = try VideoDatasets.open(data, splitFile: split)
        let error = try #require(throws: DataError.self) { try dataset.split.checkUsable(layout: dataset.layout, file: split.path) }
        guard case .noValidationVideos(split.path) = error else { Issue.record("got \(error)"); return }
        #expect(error.description.contains("the split has no validation videos (\"val_keys\" is missing or empty), so no epoch can be chosen"))
        let report = try DatasetInspector.inspect(data)
        #expect(report.problems.first == error.description)
    }

    @Test func aMissingSummaryIsAWarningThatSaysF1IsUnavailable() throws {
        let (data, split) = try write { try Self.plain($0, summary: false) }
        let video = try VideoDatasets.open(data, splitFile: split).video("video_2")
        #expect(video.gtSummary == nil && video.warnings.map(\.kind) == [DataWarning.missingSummaryKind])
        let report = try DatasetInspector.inspect(data)
        // video_1 and video_3 (VideoSpec) carry no summary either: one line for the three.
        #expect(report.isValid && report.warnings == ["\(data.path): \(DataWarning.missingSummaryKind) in 3 videos: video_1, video_2, video_3"])
    }
}
