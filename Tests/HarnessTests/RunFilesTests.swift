import Evaluation
import Foundation
import Models
import TensorCore
import Testing
import VideoData
@testable import Harness

#if canImport(FoundationXML)
import FoundationXML
#endif

/// End-to-end sessions with the tiny model: the run files, a run interrupted by SIGINT mid-epoch, and
/// bad data failing before anything is trained or written.
@Suite(.serialized) struct RunFilesTests {
    static func options(_ data: DataSource, results: URL, epochs: Int = 3, models: [String] = ["tiny"],
                        built: @escaping (TinyModel) -> Void = { _ in }) -> SessionOptions {
        var options = SessionOptions(models: models)
        options.data = data
        options.resultsRoot = results
        options.measureSgemmPeak = false
        options.registry = TestData.registry(epochs: epochs, built: built)
        return options
    }

    static func isWellFormedXML(_ url: URL) -> Bool {
        guard let parser = XMLParser(contentsOf: url) else { return false }
        return parser.parse()
    }

    /// A model that cannot be built (here: its contract differs from its registry entry's) fails its run
    /// before any file of it is written, and leaves no empty run folder; the other models still run.
    @Test func aModelThatCannotBeBuiltLeavesNoFolder() throws {
        let data = try TestData.synthetic("unbuildable")
        let results = try TestData.temporaryDirectory("unbuildable-results")
        var options = Self.options(data, results: results, models: ["tiny", "broken"])
        options.overrides = ScheduleOverrides(epochs: 1)
        let quick = TestData.schedule(epochs: 1)
        let broken = VariantEntry(.report, contract: .paddedMSE, deviations: ["a test model"], schedule: { _ in quick },
                                  make: { spec in TinyModel(spec: spec, l1: true) })
        var entries = TestData.registry(epochs: 1).entries.filter { $0.name == "tiny" }
        entries.append(ModelEntry(name: "broken", summary: "contract differs from its entry's", variants: [broken]))
        options.registry = try ModelRegistry(entries)
        let result = try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true))
        #expect(result.failures.map(\.0) == ["broken"])
        #expect(result.failures.first?.1.contains("training contract differs") == true, "\(result.failures)")
        #expect(result.records.map(\.model.name) == ["tiny"])
        #expect(!FileManager.default.fileExists(atPath: result.folder.appendingPathComponent("broken").path))
        #expect(FileManager.default.fileExists(atPath: result.folder.appendingPathComponent("tiny/seed-0/run.json").path))
    }

    @Test func sessionWritesEveryRunFile() throws {
        let data = try TestData.synthetic("files")
        let results = try TestData.temporaryDirectory("files-results")
        var options = Self.options(data, results: results, models: ["tiny", "tiny2"])
        options.overrides = ScheduleOverrides(epochs: 2)
        let result = try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true))
        #expect(result.failures.isEmpty && !result.interrupted && result.records.count == 2)

        let runFolder = result.folder.appendingPathComponent("tiny/seed-0")
        let record = try RunRecord.read(runFolder.appendingPathComponent("run.json"))
        #expect(record.status == .completed && record.epochs.count == 2 && record.chosenEpoch != nil)
        #expect(record.overrides == [ScheduleOverride(name: "epochs", published: "3", used: "2")])
        #expect(record.schedule.epochs == 2 && record.publishedSchedule.epochs == 3)
        #expect(record.data.synthetic && record.data.trainVideos == 24 && record.data.testVideos == 8)
        #expect(record.model.parameters == 16 * 8 + 8 + 8 + 1)
        let performance = try #require(record.performance)
        #expect(performance.trainFramesPerSecond > 0 && performance.inferenceFramesPerSecond > 0)
        #expect(performance.trainFlops > 0 && performance.peakTensorBytes > 0 && performance.peakResidentBytes > 1 << 20)

        // predictions.h5 recomputes the recorded test metrics with the evaluation code alone.
        let entries = try PredictionsFile.read(runFolder.appendingPathComponent("predictions.h5"))
        #expect(entries.count == 8)
        let dataset = try VideoDatasets.open(data.dataFile, splitFile: data.splitFile)
        let inputs = try entries.map { entry -> VideoEvaluationInput in
            let video = try dataset.video(entry.key)
            #expect(video.gtscore == entry.gtscore)
            return VideoEvaluationInput(name: entry.key, prediction: entry.pred, gtscore: entry.gtscore,
                                        shots: video.changePoints,
                                        gtSummary: video.gtSummary!.map(Double.init))
        }
        let recomputed = try SplitEvaluation(evaluating: inputs)
        let test = try #require(record.test)
        #expect(abs(recomputed.mse - test.mse) < 1e-12)
        #expect(recomputed.spearmanRho == test.spearmanRho && recomputed.f1 == test.f1 && recomputed.map15 == test.map15)

        // The checkpoint is the chosen epoch's.
        let fresh = TestData.tinyModel(seed: 42)
        let metadata = try fresh.loadCheckpoint(from: runFolder.appendingPathComponent("best.safetensors.zst"))
        #expect(metadata["epoch"] == "\(record.chosenEpoch!)")

        let curves = try String(contentsOf: runFolder.appendingPathComponent("curves.csv"), encoding: .utf8)
        #expect(curves.split(separator: "\n").count == 3 && curves.hasPrefix(CurvesFile.header))

        let summary = try Summary.read(result.folder.appendingPathComponent("summary.json"))
        #expect(summary.rows.map(\.model) == ["tiny", "tiny2"] && summary.isSynthetic)
        let markdown = try String(contentsOf: result.folder.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(markdown.contains("SYNTHETIC") && markdown.contains("| tiny2 |"))
        let csv = try String(contentsOf: result.folder.appendingPathComponent("summary.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 3)
        for chart in ["loss-vs-rank.svg", "val-rho.svg", "throughput.svg", "memory.svg"] {
            #expect(Self.isWellFormedXML(result.folder.appendingPathComponent(chart)), "\(chart)")
        }

        // A second session never reuses the folder.
        let again = try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true))
        #expect(again.folder != result.folder)
        #expect(FileManager.default.fileExists(atPath: runFolder.appendingPathComponent("run.json").path))
    }

    static func snapshot(_ folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!
        for case let url as URL in enumerator where !url.hasDirectoryPath {
            files[url.path] = try Data(contentsOf: url)
        }
        return files
    }

    @Test func interruptedRunKeepsEarlierResultsAndSaysWhereItStopped() throws {
        let data = try TestData.synthetic("interrupt")
        let results = try TestData.temporaryDirectory("interrupt-results")
        let earlier = try BenchSession.run(Self.options(data, results: results), stop: StopRequest(),
                                           progress: ProgressReporter(quiet: true))
        let before = try Self.snapshot(earlier.folder)
        #expect(before.count > 5)

        // 6 training batches per epoch: training call 9 is the 3rd training step of epoch 2, where a real SIGINT goes to this process. It is sent to the process (test
        // threads block signals), so the hook waits until the handler has run.
        InterruptHandling.install()
        InterruptHandling.request.clear()
        defer { InterruptHandling.request.clear() }
        let options = Self.options(data, results: results, epochs: 5) { model in
            model.onForward = { call in
                guard call == 9 else { return }
                kill(getpid(), SIGINT)
                let deadline = Date().addingTimeInterval(5)
                while !InterruptHandling.request.isRequested && Date() < deadline { usleep(1000) }
            }
        }
        let result = try BenchSession.run(options, stop: InterruptHandling.request, progress: ProgressReporter(quiet: true))
        #expect(result.interrupted)
        #expect(result.folder != earlier.folder)

        let record = try RunRecord.read(result.folder.appendingPathComponent("tiny/seed-0/run.json"))
        #expect(record.status == .interrupted)
        #expect(record.stoppedAt == StopPoint(epoch: 1, step: 3, reason: "interrupted (stop requested)"))
        #expect(record.epochs.count == 1 && record.chosenEpoch == 0 && record.test == nil)
        #expect(record.message?.contains("stopped in epoch 2 before step 4") == true)
        let folder = result.folder.appendingPathComponent("tiny/seed-0")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("best.safetensors.zst").path))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("predictions.h5").path))
        let curves = try String(contentsOf: folder.appendingPathComponent("curves.csv"), encoding: .utf8)
        #expect(curves.split(separator: "\n").count == 2)
        // No temporary files are left behind, and the earlier run is byte for byte what it was.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty)
        #expect(try Self.snapshot(earlier.folder) == before)
    }

    @Test func missingDataFailsBeforeAnythingIsWritten() throws {
        let results = try TestData.temporaryDirectory("missing").appendingPathComponent("results")
        var built = 0
        let missing = DataSource(dataFile: URL(fileURLWithPath: "/nonexistent/mr_hisum.h5"),
                                 splitFile: URL(fileURLWithPath: "/nonexistent/mr_hisum_split.json"), synthetic: false)
        let options = Self.options(missing, results: results) { _ in built += 1 }
        let error = #expect(throws: DataError.self) {
            try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true))
        }
        #expect("\(error!)".contains("/nonexistent/mr_hisum.h5"))
        #expect(built == 0)
        #expect(!FileManager.default.fileExists(atPath: results.path))
    }

    @Test func notHDF5FailsWithItsName() throws {
        let directory = try TestData.temporaryDirectory("garbage")
        let file = directory.appendingPathComponent("mr_hisum.h5")
        try Data("this is not an HDF5 file".utf8).write(to: file)
        let split = directory.appendingPathComponent("split.json")
        try Data(#"{"train_keys": ["video_1"], "val_keys": [], "test_keys": ["video_2"]}"#.utf8).write(to: split)
        let results = directory.appendingPathComponent("results")
        let options = Self.options(DataSource(dataFile: file, splitFile: split, synthetic: false), results: results)
        let error = #expect(throws: DataError.self) {
            try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true))
        }
        #expect("\(error!)" == "\(file.path): not an HDF5 file")
        #expect(!FileManager.default.fileExists(atPath: results.path))
    }

    /// A data set whose last test video holds a NaN: every video is read before training, so the run
    /// fails naming that video before the model is even built.
    @Test func aBadVideoFailsBeforeTraining() throws {
        let source = try TestData.synthetic("nan")
        let good = try VideoDatasets.open(source.dataFile, splitFile: source.splitFile)
        let badKey = good.split.test.last!
        let directory = try TestData.temporaryDirectory("nan-copy")
        let badFile = directory.appendingPathComponent("mr_hisum.h5")
        let h5 = try HDF5File.create(badFile)
        let root = try h5.root()
        for key in good.split.allKeys {
            let video = try good.video(key)
            let group = try root.createGroup(key)
            var gtscore = video.gtscore
            if key == badKey { gtscore[3] = .nan }
            try group.write(video.features, shape: [video.length, video.featureWidth], to: "features")
            try group.write(gtscore, shape: [video.length], to: "gtscore")
            try group.write(video.changePoints.flatMap { [Int64($0.start), Int64($0.end)] }, shape: [video.changePoints.count, 2],
                            to: "change_points")
        }
        try h5.close()
        let results = directory.appendingPathComponent("results")
        var built = 0
        let options = Self.options(DataSource(dataFile: badFile, splitFile: source.splitFile, synthetic: false), results: results) { _ in built += 1 }
        let error = #expect(throws: DataError.self) {
            try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true))
        }
        let message = "\(error!)"
        #expect(message.contains(badFile.path) && message.contains("video \(badKey)") && message.contains("gtscore"))
        #expect(built == 0)
        #expect(!FileManager.default.fileExists(atPath: results.path))
    }
}
