import Foundation
import Testing
@testable import VideoData

@Suite final class PredictionsWriterTests {
    let directory: URL

    init() throws { directory = try makeTemporaryDirectory() }

    deinit { try? FileManager.default.removeItem(at: directory) }

    private var destination: URL { directory.appendingPathComponent("predictions.h5") }

    @Test func writesOneGroupPerVideoAndRenamesIntoPlace() throws {
        let writer = try PredictionsWriter(destination: destination)
        try writer.write(key: "video_2", pred: [0.1, 0.9, 0.5], gtscore: [0, 1, 0.5])
        try writer.write(key: "video_1", pred: [0.25], gtscore: [0.75])
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        try writer.commit()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["predictions.h5"])
        let entries = try PredictionsFile.read(destination)
        #expect(entries.map(\.key) == ["video_1", "video_2"])
        #expect(entries[1].pred == [0.1, 0.9, 0.5] && entries[1].gtscore == [0, 1, 0.5])
        let root = try HDF5File.open(destination).root()
        #expect(try root.group("video_2").dataset("pred").shape() == [3])
        #expect(try root.group("video_2").dataset("pred").elementKind() == .float)
    }

    @Test func aFailedWriteKeepsTheEarlierFileAndLeavesNoTemporaryFile() throws {
        let first = try PredictionsWriter(destination: destination)
        try first.write(key: "video_1", pred: [0.5, 0.6], gtscore: [0.1, 0.2])
        try first.commit()
        let before = try Data(contentsOf: destination)

        #expect(throws: DataError.self) { try PredictionsWriter(destination: self.destination) }
        let writer = try PredictionsWriter(destination: destination, overwrite: true)
        try writer.write(key: "video_1", pred: [0.9, 0.9], gtscore: [0.1, 0.2])
        let error = try #require(throws: DataError.self) {
            try writer.write(key: "video_2", pred: [0.9, .nan], gtscore: [0.1, 0.2])
        }
        guard case .nonFinite(_, "video_2", "pred", 1, _) = error else { Issue.record("got \(error)"); return }
        #expect(throws: DataError.self) { try writer.write(key: "video_3", pred: [0.9], gtscore: [0.1, 0.2]) }
        #expect(throws: DataError.self) { try writer.write(key: "video_1", pred: [0.9], gtscore: [0.1]) }
        writer.abandon()
        #expect(try Data(contentsOf: destination) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["predictions.h5"])
    }

    @Test func anUncommittedWriterCleansUpWhenReleased() throws {
        do {
            let writer = try PredictionsWriter(destination: destination)
            try writer.write(key: "video_1", pred: [0.5], gtscore: [0.5])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [])
    }

    @Test func overwriteReplacesAtomically() throws {
        let first = try PredictionsWriter(destination: destination)
        try first.write(key: "video_1", pred: [0.5], gtscore: [0.5])
        try first.commit()
        let second = try PredictionsWriter(destination: destination, overwrite: true)
        try second.write(key: "video_9", pred: [0.25], gtscore: [0.5])
        try second.commit()
        #expect(try PredictionsFile.read(destination).map(\.key) == ["video_9"])
    }
}
