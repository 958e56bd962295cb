import Foundation
import Testing
import TensorCore
import VideoData
@testable import Harness

/// A run killed outright (SIGKILL, as a crash or an out-of-memory kill would) in the middle of training
/// leaves every earlier run untouched and its own files complete: run.json readable with the epochs
/// that finished, and the checkpoint loadable, never half-written.
@Suite struct KilledRunTests {
    @Test func sigkillMidTrainingLosesNothing() throws {
        var config = TestData.smallConfig
        config.featureWidth = 1024    // the registered models' input width
        config.trainCount = 32
        let data = try TestData.synthetic("killed", config: config)
        let results = try TestData.temporaryDirectory("killed-results")
        let common = ["--size", "small", "--data", data.dataFile.path, "--split", data.splitFile.path,
                      "--out", results.path, "--threads", "1", "--quiet"]

        let earlier = try ThresholdCheckTests.runBench(["model", "videosage", "--epochs", "2"] + common)
        #expect(earlier.status == 0, "\(earlier.output)")
        let earlierFolder = try #require(try FileManager.default.contentsOfDirectory(at: results, includingPropertiesForKeys: nil).first)
        let before = try RunFilesTests.snapshot(earlierFolder)

        let process = Process()
        process.executableURL = ThresholdCheckTests.benchExecutable
        process.arguments = ["model", "videosage", "--epochs", "500", "--patience", "500"] + common
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until at least two epochs are on disk, then kill it without warning.
        let deadline = Date().addingTimeInterval(120)
        var killedFolder: URL?
        while Date() < deadline, killedFolder == nil {
            usleep(50_000)
            let folders = try FileManager.default.contentsOfDirectory(at: results, includingPropertiesForKeys: nil)
            for folder in folders where folder.standardizedFileURL != earlierFolder.standardizedFileURL {
                let runFile = folder.appendingPathComponent("run.json")
                if let record = try? RunRecord.read(runFile), record.epochs.count >= 2 { killedFolder = folder }
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let folder = try #require(killedFolder, "the run never recorded two epochs")
        #expect(process.terminationReason == .uncaughtSignal)

        // The earlier run is byte for byte what it was.
        #expect(try RunFilesTests.snapshot(earlierFolder) == before)
        // The killed run's files are complete: run.json parses and says it was still running, the
        // checkpoint loads into a fresh model.
        let record = try RunRecord.read(folder.appendingPathComponent("run.json"))
        #expect(record.status == .running)
        #expect(record.epochs.count >= 2)
        let checkpoint = folder.appendingPathComponent("best.safetensors.zst")
        #expect(FileManager.default.fileExists(atPath: checkpoint.path))
        #expect(throws: Never.self) { try SafeTensors.load(from: checkpoint) }
    }
}
