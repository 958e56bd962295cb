import Evaluation
import Foundation
import Testing
@testable import VideoData

/// One hand-made eccv16 video group (defaults: a valid 100-frame video, picks every 15 frames so the
/// last pick, 90, leaves frames after it).
struct ECCV16VideoSpec {
    var frameCount = 100
    var picks = Array(stride(from: 0, to: 100, by: 15))
    var changePoints: [[Int]] = [[0, 29], [30, 59], [60, 99]]
    var framesPerSegment: [Int]?
    var users = 3
    var userSummaryLength: Int?
    var userValue: Float = 1
    var videoName: String? = "clip_a"

    func write(into root: HDF5Group, key: String) throws {
        let group = try root.createGroup(key)
        let steps = picks.count
        try group.write((0..<(steps * 4)).map { Float($0 % 5) }, shape: [steps, 4], to: "features")
        try group.write((0..<steps).map { Float($0) / Float(steps) }, shape: [steps], to: "gtscore")
        try group.write(picks.map(Int64.init), shape: [steps], to: "picks")
        try group.write([Int64(frameCount)], shape: [], to: "n_frames")
        try group.write(changePoints.flatMap { $0.map(Int64.init) }, shape: [changePoints.count, 2], to: "change_points")
        let nfps = framesPerSegment ?? changePoints.map { $0[1] - $0[0] + 1 }
        try group.write(nfps.map(Int64.init), shape: [nfps.count], to: "n_frame_per_seg")
        let length = userSummaryLength ?? frameCount
        let rows = (0..<(users * length)).map { $0 % length < 15 ? userValue : 0 }
        try group.write(rows, shape: [users, length], to: "user_summary")
        if let videoName { try group.writeString(videoName, to: "video_name") }
    }
}

@Suite final class ECCV16InputTests {
    let directory: URL

    init() throws { directory = try makeTemporaryDirectory() }

    deinit { try? FileManager.default.removeItem(at: directory) }

    private func write(_ videos: [(String, ECCV16VideoSpec)], name: String = "eccv16_dataset_tvsum_google_pool5.h5") throws -> URL {
        let url = directory.appendingPathComponent(name)
        let file = try HDF5File.create(url)
        do {
            let root = try file.root()
            for (key, spec) in videos { try spec.write(into: root, key: key) }
        }
        try file.close()
        return url
    }

    /// Reads `video_2` after a good `video_1`; the error must name the file and `video_2`.
    private func readSecond(_ spec: ECCV16VideoSpec, name: String = "eccv16_dataset_tvsum_google_pool5.h5") throws -> any Error {
        let url = try write([("video_1", ECCV16VideoSpec()), ("video_2", spec)], name: name)
        let dataset = try ECCV16Dataset(file: url, split: DatasetSplit(train: ["video_1", "video_2"], val: [], test: []))
        _ = try dataset.video("video_1")
        let error = try #require(throws: (any Error).self) { try dataset.video("video_2") }
        let text = String(describing: error)
        #expect(text.contains(url.path), "\(text)")
        #expect(text.contains("video_2"), "\(text)")
        return error
    }

    @Test func goodVideoReads() throws {
        let url = try write([("video_1", ECCV16VideoSpec())])
        let video = try ECCV16Dataset(file: url, split: DatasetSplit(train: ["video_1"], val: [], test: [])).video("video_1")
        #expect(video.frameCount == 100 && video.picks.last == 90)
        #expect(video.changePoints == [Shot(start: 0, end: 30), Shot(start: 30, end: 60), Shot(start: 60, end: 100)])
        #expect(try AnnotationMapping.fromVideoNames(in: url) == ["video_1": "clip_a"])
    }

    @Test func userSummaryOfTheWrongLength() throws {
        var spec = ECCV16VideoSpec()
        spec.userSummaryLength = 99
        let error = try readSecond(spec)
        guard case DataError.badShape(_, _, "user_summary", [3, 99], _) = error else { Issue.record("got \(error)"); return }
    }

    @Test func userSummaryThatIsNotBinary() throws {
        var spec = ECCV16VideoSpec()
        spec.userValue = 2
        let error = try readSecond(spec)
        guard case ECCV16DataError.userSummaryValue(_, _, 0, 0, 2) = error else { Issue.record("got \(error)"); return }
    }

    @Test func picksNotIncreasing() throws {
        var spec = ECCV16VideoSpec()
        spec.picks[3] = spec.picks[2]
        let error = try readSecond(spec)
        guard case DataError.badShape(_, _, "picks", _, let expected) = error, expected.contains("increasing") else {
            Issue.record("got \(error)"); return
        }
    }

    @Test func picksBeyondTheFrames() throws {
        var spec = ECCV16VideoSpec()
        spec.picks[spec.picks.count - 1] = 100
        let error = try readSecond(spec)
        guard case DataError.badShape(_, _, "picks", _, let expected) = error, expected.contains("0..<100") else {
            Issue.record("got \(error)"); return
        }
    }

    @Test func changePointsWithAGap() throws {
        var spec = ECCV16VideoSpec()
        spec.changePoints = [[0, 29], [35, 59], [60, 99]]
        let error = try readSecond(spec)
        guard case ECCV16DataError.changePointsNotCovering(_, _, 1, let reason) = error, reason.contains("expected 30") else {
            Issue.record("got \(error)"); return
        }
    }

    @Test func changePointsEndingBeforeTheLastFrame() throws {
        var spec = ECCV16VideoSpec()
        spec.changePoints = [[0, 29], [30, 59], [60, 90]]
        let error = try readSecond(spec)
        guard case ECCV16DataError.changePointsNotCovering(_, _, 2, let reason) = error, reason.contains("99") else {
            Issue.record("got \(error)"); return
        }
    }

    @Test func framesPerSegmentNotMatching() throws {
        var spec = ECCV16VideoSpec()
        spec.framesPerSegment = [30, 29, 40]
        let error = try readSecond(spec)
        guard case ECCV16DataError.framesPerSegmentMismatch(_, _, 1?, let reason) = error, reason.contains("30 frames") else {
            Issue.record("got \(error)"); return
        }
        spec.framesPerSegment = [30, 30]
        guard case ECCV16DataError.framesPerSegmentMismatch(_, _, nil, _) = try readSecond(spec, name: "short_nfps.h5") else {
            Issue.record("a short n_frame_per_seg was accepted"); return
        }
    }

    private func annotations(_ lines: [String]) throws -> URL {
        let url = directory.appendingPathComponent("ydata-anno.tsv")
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return url
    }

    @Test func annotationsReadAndMapThroughVideoNames() throws {
        let h5 = try write([("video_1", ECCV16VideoSpec())])
        let row = (0..<100).map { String(1 + $0 % 5) }.joined(separator: ",")
        let anno = try TVSumAnnotations.read(try annotations(["clip_a\tVT\t\(row)", "clip_a\tVT\t\(row)", ""]))
        #expect(anno.videoIDs == ["clip_a"] && anno.categories["clip_a"] == "VT")
        let mapping = try AnnotationMapping.resolve(h5: h5, mappingFile: nil, groups: ["video_1"], annotations: anno)
        let rows = try anno.annotators(videoID: try #require(mapping["video_1"]), group: "video_1", frameCount: 100)
        #expect(rows.count == 2 && rows[0][0...5] == [1, 2, 3, 4, 5, 1])
    }

    @Test func annotationsWithTheWrongFrameCount() throws {
        let row = (0..<99).map { _ in "3" }.joined(separator: ",")
        let url = try annotations(["clip_a\tVT\t\(row)"])
        let anno = try TVSumAnnotations.read(url)
        let error = try #require(throws: ECCV16DataError.self) {
            try anno.annotators(videoID: "clip_a", group: "video_1", frameCount: 100)
        }
        guard case .annotationFrameCount(url.path, let video, 0, 99, 100) = error, video.contains("video_1") else {
            Issue.record("got \(error)"); return
        }
        // Annotators of one video disagreeing on the frame count is caught while reading.
        let ragged = try annotations(["clip_a\tVT\t3,3,3", "clip_a\tVT\t3,3"])
        #expect(throws: ECCV16DataError.annotationFrameCount(file: ragged.path, video: "clip_a", annotator: 1,
                                                             frames: 2, expected: 3)) {
            try TVSumAnnotations.read(ragged)
        }
        let badScore = try annotations(["clip_a\tVT\t3,6,3"])
        #expect(throws: ECCV16DataError.self) { try TVSumAnnotations.read(badScore) }
    }

    @Test func annotationsForAnUnknownVideo() throws {
        var unnamed = ECCV16VideoSpec()
        unnamed.videoName = nil
        let h5 = try write([("video_1", ECCV16VideoSpec()), ("video_2", unnamed)])
        let anno = try TVSumAnnotations.read(try annotations(["other\tVT\t3,3"]))
        // video_1's name has no annotations.
        let missing = try #require(throws: ECCV16DataError.self) {
            try AnnotationMapping.resolve(h5: h5, mappingFile: nil, groups: ["video_1"], annotations: anno)
        }
        guard case .unknownAnnotatedVideo(anno.file, "clip_a", let reason) = missing, reason.contains("video_1") else {
            Issue.record("got \(missing)"); return
        }
        // video_2 has no video_name: without a mapping file that is an error naming it.
        let unnamedError = try #require(throws: ECCV16DataError.self) {
            try AnnotationMapping.resolve(h5: h5, mappingFile: nil, groups: ["video_2"], annotations: anno)
        }
        #expect(unnamedError.description.contains("video_2") && unnamedError.description.contains(h5.path))
        // The explicit mapping file is the fallback.
        let mappingURL = directory.appendingPathComponent("mapping.tsv")
        try Data("# group\tid\nvideo_2\tother\n".utf8).write(to: mappingURL)
        #expect(try AnnotationMapping.resolve(h5: h5, mappingFile: mappingURL, groups: ["video_2"], annotations: anno)
                == ["video_2": "other"])
        // TVSum's info table (the released h5 has no video_name): its rows in order are video_1, video_2, ...
        let info = directory.appendingPathComponent("ydata-tvsum50-info.tsv")
        try Data("category\tvideo_id\ttitle\turl\tlength\nVT\tclip_a\tA title\thttp://x\t0:10\nVU\tother\tB\thttp://y\t0:20\n".utf8).write(to: info)
        #expect(try AnnotationMapping.read(info) == ["video_1": "clip_a", "video_2": "other"])
        try Data("category\tvideo_id\ttitle\nVT\tclip_a\tA\nVU\tclip_a\tB\n".utf8).write(to: info)
        let twice = try #require(throws: ECCV16DataError.self) { try AnnotationMapping.read(info) }
        #expect(twice == .badMapping(file: info.path, line: 3, reason: "video_id clip_a listed twice"))
        try Data("category\ttitle\tvideo_id\nVT\tA\n".utf8).write(to: info)
        let short = try #require(throws: ECCV16DataError.self) { try AnnotationMapping.read(info) }
        #expect(short.description == "\(info.path), line 2: 2 tab-separated fields, but the header puts video_id in column 3")
    }

    @Test func splitFileEntriesThatAreNotLists() throws {
        let url = directory.appendingPathComponent("splits.json")
        try Data(#"[{"train_keys": ["video_1"], "test_keys": ["video_2"]}, {"train_keys": ["video_2"], "test_keys": "video_1"}]"#.utf8)
            .write(to: url)
        let error = try #require(throws: DataError.self) { try SplitFile.readAll(url) }
        guard case .badSplitFile(url.path, let reason) = error, reason.contains("split 1"), reason.contains("test_keys") else {
            Issue.record("got \(error)"); return
        }
        try Data(#"[{"train_keys": ["video_1"], "test_keys": ["video_2"]}, ["video_1"]]"#.utf8).write(to: url)
        let notObject = try #require(throws: DataError.self) { try SplitFile.readAll(url) }
        #expect(notObject.description.contains("split 1"))
    }

    private func smallConfig(_ like: ECCV16Set) -> SyntheticECCV16Config {
        var config = SyntheticECCV16Config(like: like)
        config.videoCount = 6
        config.minSeconds = 20
        config.maxSeconds = 40
        config.featureWidth = 8
        return config
    }

    @Test func synthesisedTVSumLikeSetReadsBackInTheECCV16Layout() throws {
        let summary = try SyntheticECCV16.generate(smallConfig(.tvsum), to: directory.appendingPathComponent("tvsum"))
        #expect(try ECCV16Set.resolve(explicit: nil, fileName: summary.dataFile.path) == .tvsum)
        let folds = try SplitFile.readAll(summary.splitFile)
        #expect(folds.count == 5)
        // Disjoint test folds covering every video exactly once; train = the rest.
        let tested = folds.flatMap(\.test)
        #expect(tested.count == 6 && Set(tested).count == 6)
        for fold in folds { #expect(Set(fold.train).isDisjoint(with: fold.test) && fold.train.count + fold.test.count == 6) }

        let anno = try TVSumAnnotations.read(try #require(summary.annotationsFile))
        let keys = (1...6).map { "video_\($0)" }
        let mapping = try AnnotationMapping.resolve(h5: summary.dataFile, mappingFile: nil, groups: keys, annotations: anno)
        let dataset = try ECCV16Dataset(file: summary.dataFile, split: DatasetSplit(train: keys, val: [], test: []))
        for key in keys {
            let video = try dataset.video(key)
            #expect(video.frameCount > 20 * 30 - 15 && video.frameCount <= 40 * 30)
            #expect(video.picks == (0..<video.length).map { $0 * 15 })
            #expect(video.picks.last! < video.frameCount)
            let users = try #require(video.userSummaries)
            #expect(users.count == 20)
            // Each user summary is a 15% keyshot summary of that annotator's ratings.
            let ratings = try anno.annotators(videoID: mapping[key]!, group: key, frameCount: video.frameCount)
            #expect(ratings.count == 20 && ratings.allSatisfy { $0.allSatisfy { (1...5).contains($0) } })
            for (user, rating) in zip(users, ratings) {
                #expect(user.reduce(0, +) <= Float(video.frameCount) * 0.15)
                #expect(user.map { $0 == 1 } == SyntheticECCV16.userSummary(frameScores: rating, shots: video.changePoints,
                                                                            proportion: 0.15))
            }
        }
    }

    @Test func synthesisedSumMeLikeSetHasFreeFormUsers() throws {
        let summary = try SyntheticECCV16.generate(smallConfig(.summe), to: directory.appendingPathComponent("summe"))
        #expect(summary.annotationsFile == nil)
        #expect(try ECCV16Set.resolve(explicit: nil, fileName: summary.dataFile.path) == .summe)
        let keys = (1...6).map { "video_\($0)" }
        let dataset = try ECCV16Dataset(file: summary.dataFile, split: DatasetSplit(train: keys, val: [], test: []))
        for key in keys {
            let video = try dataset.video(key)
            let users = try #require(video.userSummaries)
            #expect((15...18).contains(users.count))
            #expect(users.allSatisfy { $0.reduce(0, +) > 0 && $0.reduce(0, +) <= Float(video.frameCount) * 0.15 })
        }
    }

    @Test func synthesisIsDeterministicForASeed() throws {
        var config = smallConfig(.tvsum)
        config.videoCount = 5
        let a = try SyntheticECCV16.generate(config, to: directory.appendingPathComponent("a"))
        let b = try SyntheticECCV16.generate(config, to: directory.appendingPathComponent("b"))
        for name in [SyntheticECCV16.dataFileName(.tvsum), SyntheticECCV16.splitFileName(.tvsum), SyntheticECCV16.annotationsFileName] {
            #expect(try Data(contentsOf: a.directory.appendingPathComponent(name))
                    == Data(contentsOf: b.directory.appendingPathComponent(name)), "\(name) differs between runs")
        }
        config.seed += 1
        let c = try SyntheticECCV16.generate(config, to: directory.appendingPathComponent("c"))
        #expect(try Data(contentsOf: a.directory.appendingPathComponent(SyntheticECCV16.annotationsFileName))
                != Data(contentsOf: c.directory.appendingPathComponent(SyntheticECCV16.annotationsFileName)))
    }
}
