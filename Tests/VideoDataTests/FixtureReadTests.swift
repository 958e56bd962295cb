import Evaluation
import Foundation
import Testing
@testable import VideoData

/// Files written by h5py (tools/data/make_fixtures.py) read back exactly.
@Suite struct FixtureReadTests {
    private func expected(_ name: String) throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: try fixture(name, "json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
    }

    /// The fixture script writes floats as hex strings (`float.hex()`), which parse exactly.
    private func doubles(_ any: Any?) throws -> [Double] {
        let strings = try #require(any as? [String])
        return try strings.map { try #require(Double($0)) }
    }

    @Test func mrHiSumLayoutReadsExactly() throws {
        let dataset = try MRHiSumDataset(file: fixture("mr_hisum_tiny", "h5"),
                                         splitFile: fixture("mr_hisum_tiny_split", "json"))
        #expect(dataset.split == DatasetSplit(train: ["video_1", "video_3"], val: [], test: ["video_2"]))
        #expect(dataset.featureWidth == 16)
        let truth = try expected("mr_hisum_tiny_expected")
        for key in ["video_1", "video_2", "video_3"] {
            let video = try dataset.video(key)
            let want = try #require(truth[key])
            #expect(video.features == (try doubles(want["features"])).map { Float($0) })
            // float64 in the file, rounded once to Float on reading
            let gtscore = try doubles(want["gtscore"])
            #expect(video.gtscore == gtscore.map { Float($0) })
            #expect(video.gtSummary == (try doubles(want["gt_summary"])).map { Float($0) })
            let pairs = try #require(want["change_points"] as? [[Int]])
            #expect(video.changePoints == pairs.map { Shot(start: $0[0], end: $0[1]) })
            #expect(video.frameCount == video.length && video.picks == Array(0..<video.length))
            #expect(try dataset.length(of: key) == gtscore.count)
        }
    }

    @Test func float64AndInt64ReadWithoutLossThroughTheWrapper() throws {
        let file = try HDF5File.open(fixture("mr_hisum_tiny", "h5"))
        let group = try file.root().group("video_1")
        let truth = try expected("mr_hisum_tiny_expected")["video_1"]!
        #expect(try group.dataset("gtscore").readDoubles() == (try doubles(truth["gtscore"])))
        #expect(try group.dataset("change_points").elementKind() == .integer)
        #expect(try group.dataset("change_points").readInts() == [0, 4, 4, 9, 9, 12])
        #expect(try group.dataset("features").shape() == [12, 16])
    }

    @Test func eccv16LayoutReadsExactly() throws {
        let url = try fixture("eccv16_tiny", "h5")
        #expect(try VideoDatasets.detectLayout(url) == .eccv16)
        let splits = try fixture("eccv16_tiny_splits", "json")
        // keys written as paths resolve to group names
        let dataset = try VideoDatasets.open(url, splitFile: splits, splitIndex: 0)
        #expect(dataset.layout == .eccv16)
        #expect(dataset.split == DatasetSplit(train: ["video_1"], val: [], test: ["video_2"]))
        #expect(try SplitFile.read(splits, index: 1) == DatasetSplit(train: ["video_2"], val: [], test: ["video_1"]))
        let truth = try expected("eccv16_tiny_expected")
        for key in ["video_1", "video_2"] {
            let video = try dataset.video(key)
            let want = try #require(truth[key])
            #expect(video.features == (try doubles(want["features"])).map { Float($0) })
            #expect(video.gtscore == (try doubles(want["gtscore"])).map { Float($0) })
            #expect(video.frameCount == want["n_frames"] as? Int)
            #expect(video.picks == want["picks"] as? [Int])
            let inclusive = try #require(want["change_points_inclusive"] as? [[Int]])
            #expect(video.changePoints == inclusive.map { Shot(start: $0[0], end: $0[1] + 1) })
            let users = try #require(want["user_summary"] as? [[NSNumber]])
            #expect(video.userSummaries == users.map { $0.map { $0.floatValue } })
            #expect(video.gtSummary == (try doubles(want["gtsummary"])).map { Float($0) })
        }
    }

    @Test func metadataCSVParsesQuotedLabels() throws {
        let rows = try MetadataFile.read(fixture("mr_hisum_tiny_metadata", "csv"))
        #expect(rows.count == 3)
        #expect(rows["video_1"] == VideoMetadata(videoID: "video_1", yt8mFile: "train0001.tfrecord", randomID: "Ab12",
                                                  youtubeID: "dQw4w9WgXcQ", duration: 12, views: 51234, labels: [8]))
        #expect(rows["video_2"]?.labels == [3, 17])
        #expect(rows["video_3"]?.labels == [])
    }

    @Test func metadataRoundTrips() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rows = try MetadataFile.read(fixture("mr_hisum_tiny_metadata", "csv"))
        let url = directory.appendingPathComponent("metadata.csv")
        try MetadataFile.write(rows.values.sorted { $0.videoID < $1.videoID }, to: url)
        #expect(try MetadataFile.read(url) == rows)
    }

    @Test func cachedDatasetServesRepeatsFromMemory() throws {
        let base = try MRHiSumDataset(file: fixture("mr_hisum_tiny", "h5"), splitFile: fixture("mr_hisum_tiny_split", "json"))
        let cached = CachedVideoDataset(base)
        let first = try cached.video("video_3")
        #expect(cached.cachedCount == 1)
        #expect(try cached.video("video_3").gtscore == first.gtscore)
        #expect(cached.cachedCount == 1)
    }
}

@Suite struct HDF5WrapperTests {
    @Test func attributesAndDataRoundTrip() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("a.h5")
        do {
            let file = try HDF5File.create(url)
            let root = try file.root()
            try root.setAttribute("note", string: "héllo")
            try root.setAttribute("count", value: Int64(42))
            let group = try root.createGroup("g")
            try group.write([UInt8(1), 2, 3, 4, 5, 6], shape: [2, 3], to: "bytes")
            try file.close()
        }
        let file = try HDF5File.open(url)
        let root = try file.root()
        #expect(try root.stringAttribute("note") == "héllo")
        #expect(try root.numberAttribute("count") == 42)
        #expect(try root.stringAttribute("absent") == nil)
        #expect(try root.memberNames() == ["g"])
        #expect(root.isGroup("g") && !root.isDataset("g"))
        let bytes = try root.group("g").dataset("bytes")
        #expect(try bytes.shape() == [2, 3])
        #expect(try bytes.readFloats() == [1, 2, 3, 4, 5, 6])
    }

    @Test func libraryErrorsNameFileObjectAndStack() throws {
        let url = try fixture("mr_hisum_tiny", "h5")
        let root = try HDF5File.open(url).root()
        let error = try #require(throws: HDF5Error.self) { try root.group("video_1").dataset("nope") }
        #expect(error.file == url.path)
        #expect(error.object == "/video_1/nope")
        #expect(!error.stack.isEmpty)
        #expect(error.description.contains("/video_1/nope") && error.description.contains(url.path))
        // the stack was consumed: the next failure reports only its own entries
        let next = try #require(throws: HDF5Error.self) { try root.group("video_9") }
        #expect(next.stack.count <= error.stack.count + 2)
    }

    @Test func h5pyAttributesAreReadable() throws {
        let root = try HDF5File.open(fixture("mr_hisum_tiny", "h5")).root()
        #expect(try root.stringAttribute("description") == "tiny MR.HiSum-layout fixture")
        #expect(try root.numberAttribute("videos") == 3)
    }

    @Test func h5pyStringDataSetsAreRefusedAsNumbers() throws {
        // h5py writes `str` data sets as variable-length strings; the wrapper must not choke on them.
        let root = try HDF5File.open(fixture("eccv16_tiny", "h5")).root()
        #expect(try root.group("video_1").dataset("video_name").elementKind() == .other)
        #expect(throws: HDF5Error.self) { try root.group("video_1").dataset("video_name").readFloats() }
    }

    @Test func createRefusesToReplaceAnExistingFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("x.h5")
        try HDF5File.create(url).close()
        #expect(throws: HDF5Error.self) { try HDF5File.create(url) }
    }

    @Test func spearmanHelperMatchesScipy() {
        // scipy.stats.spearmanr([0.1,0.5,0.5,0.2,0.9,0.9,0.9,0.3], [1,3,2,2,5,4,4,0]) = 0.8759284757666266
        let rho = spearman([0.1, 0.5, 0.5, 0.2, 0.9, 0.9, 0.9, 0.3], [1, 3, 2, 2, 5, 4, 4, 0])
        #expect(abs(rho - 0.8759284757666266) < 1e-12)
    }
}
