import Foundation
import Testing
import TensorCore
import VideoData
@testable import Harness

/// Issue 17, in-process cases: warnings recorded in run.json, F1 unavailable without gt_summary,
/// checkpoint loading checks, a full disk mid-run.
@Suite(.serialized) struct RunHardeningTests {
    static func session(_ data: DataSource, _ label: String, epochs: Int = 1,
                        built: @escaping (TinyModel) -> Void = { _ in }) throws -> (SessionResult, URL) {
        let results = try TestData.temporaryDirectory(label)
        var options = RunFilesTests.options(data, results: results, epochs: epochs, built: built)
        options.comparison = false
        return (try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true)), results)
    }

    @Test func float64FeaturesAndWideGtscoreAreWarningsInRunJSON() throws {
        let data = try HandMadeData.write("warn") { key, group in
            guard key == "video_3" else { return false }
            try group.write((0..<96).map { Double($0) / 96 }, shape: [6, 16], to: "features")
            try group.write([0, 5.0, -3.0, 0.5, 0.2, 0.1], shape: [6], to: "gtscore")
            try group.write([Int64(0), 6], shape: [1, 2], to: "change_points")
            try group.write([Float](repeating: 0, count: 6), shape: [6], to: "gt_summary")
            return true
        }
        let (result, _) = try Self.session(data, "warn-results")
        let record = try #require(result.records.first)
        #expect(record.status == .completed)
        let file = data.dataFile.path
        #expect(record.warnings == [
            "\(file): `features` stored as float64 (read as float32) in 1 video: video_3",
            "\(file): `gtscore` outside [0, 1] (MSE is not comparable with MR.HiSum results) in 1 video: video_3 (range [-3.0, 5.0])",
        ])
        let reread = try RunRecord.read(result.folder.appendingPathComponent("run.json"))
        #expect(reread.warnings == record.warnings)
    }

    @Test func aMissingSummaryMakesF1UnavailableWithANotice() throws {
        let data = try HandMadeData.write("nosummary") { key, group in
            guard key == "video_6" else { return false }
            try group.write((0..<96).map { Float($0) / 96 }, shape: [6, 16], to: "features")
            try group.write((0..<6).map { Double($0) / 6 }, shape: [6], to: "gtscore")
            try group.write([Int64(0), 3, 3, 6], shape: [2, 2], to: "change_points")
            return true
        }
        let (result, _) = try Self.session(data, "nosummary-results")
        let record = try #require(result.records.first)
        let test = try #require(record.test)
        #expect(test.f1.mean == nil && test.f1.evaluated == 0 && test.f1.skipped == 1)
        #expect(test.spearmanRho.evaluated + test.spearmanRho.skipped == 1)
        #expect(record.warnings == ["\(data.dataFile.path): \(DataWarning.missingSummaryKind) in 1 video: video_6"])
    }

    // MARK: Checkpoints

    /// A safetensors file with one tensor stored as `dtype` (the rest of the tiny model as F32).
    static func checkpoint(replacing name: String, dtype: String, bytes: [UInt8], metadata: String = "") throws -> URL {
        let model = TestData.tinyModel()
        var entries: [(String, String, [Int], [UInt8])] = []
        for (key, tensor) in model.stateDict() {
            if key == name {
                entries.append((key, dtype, tensor.shape, bytes))
            } else {
                entries.append((key, "F32", tensor.shape, tensor.values.withUnsafeBytes { Array($0) }))
            }
        }
        var header = "{" + metadata
        var data: [UInt8] = []
        for (index, (key, dtype, shape, bytes)) in entries.enumerated() {
            if index > 0 || !metadata.isEmpty { header += "," }
            header += "\"\(key)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}"
            data += bytes
        }
        header += "}"
        var file = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        file += Array(header.utf8) + data
        let url = try TestData.temporaryDirectory("ckpt").appendingPathComponent("model.safetensors")
        try Data(file).write(to: url)
        return url
    }

    @Test func integerTensorsAreRefusedAndNarrowFloatsLoadWithAWarning() throws {
        let i32 = try Self.checkpoint(replacing: "second.bias", dtype: "I32", bytes: [1, 0, 0, 0])
        let error = try #require(throws: SafeTensorsError.self) { try TestData.tinyModel().loadCheckpoint(from: i32) }
        #expect(error.kind == .dtypeMismatch)
        #expect(error.description == "\(i32.path): tensor 'second.bias': stored as I32, but the model's parameter is float32 (integer weights are not this model's)")

        let f64 = try Self.checkpoint(replacing: "second.bias", dtype: "F64", bytes: withUnsafeBytes(of: 0.25.bitPattern.littleEndian) { Array($0) })
        let model = TestData.tinyModel()
        var warnings: [String] = []
        try model.loadCheckpoint(from: f64, warn: { warnings.append($0) })
        #expect(model.second.bias!.values == [0.25])
        #expect(warnings == ["\(f64.path): 1 tensor(s) stored as F64, rounded to float32 (e.g. 'second.bias')"])
    }

    @Test func aNaNWeightIsRefusedNamingTheTensor() throws {
        let url = try Self.checkpoint(replacing: "second.bias", dtype: "F32", bytes: withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { Array($0) })
        let model = TestData.tinyModel()
        let before = model.second.bias!.values
        let error = try #require(throws: SafeTensorsError.self) { try model.loadCheckpoint(from: url) }
        #expect(error.description == "\(url.path): tensor 'second.bias': holds nan at flat index 0; a weight must be finite")
        #expect(model.second.bias!.values == before)   // nothing changed
    }

    @Test func aCheckpointOfAnotherModelIsRefusedNamingBoth() throws {
        let url = try TestData.temporaryDirectory("other").appendingPathComponent("best.safetensors.zst")
        try TestData.tinyModel().saveCheckpoint(to: url, metadata: CheckpointIdentity(model: "tiny", variant: .report, size: .small,
                                                                                        inputDim: 16, options: [:]).metadata)
        let error = try #require(throws: SafeTensorsError.self) { try TestData.tinyModel().loadCheckpoint(from: url, expectedModel: "tiny2") }
        #expect(error.description == "\(url.path): the checkpoint's metadata names model 'tiny', not 'tiny2' being loaded")
        // bench predict's path (the one load path of the harness) refuses it before loading.
        let registry = TestData.registry()
        #expect(throws: HarnessError.invalidArgument("\(url.path) holds a tiny checkpoint (report, small), not a tiny2 one")) {
            try CheckpointPrediction.model(for: url, choice: .init(name: "tiny2"), inputDim: 16, registry: registry)
        }
    }

    // MARK: A full disk

    /// A real full disk: the results root on a 2 MB tmpfs, filled by the model's hook after the first
    /// epoch. Needs permission to mount (root in CI's container); elsewhere the test is skipped.
    static let canMount: Bool = {
        guard getuid() == 0, let probe = try? TestData.temporaryDirectory("mount-probe") else { return false }
        defer { _ = try? FileManager.default.removeItem(at: probe) }
        guard mountTmpfs(probe, size: "64k") else { return false }
        unmount(probe)
        return true
    }()

    @discardableResult
    static func mountTmpfs(_ url: URL, size: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/mount")
        process.arguments = ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", url.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    static func unmount(_ url: URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/umount")
        process.arguments = [url.path]
        try? process.run()
        process.waitUntilExit()
    }

    @Test(.enabled(if: RunHardeningTests.canMount)) func aDiskFillingUpMidRunEndsFailedWithNoTemporaryFiles() throws {
        let data = try TestData.synthetic("fulldisk")
        let results = try TestData.temporaryDirectory("fulldisk-results")
        #expect(Self.mountTmpfs(results, size: "2m"))
        defer { Self.unmount(results) }
        var options = RunFilesTests.options(data, results: results, epochs: 3, built: { model in
            model.onForward = { call in
                // Epoch 2's first step (6 steps per epoch): fill every free byte.
                guard call == 7 else { return }
                let filler = results.appendingPathComponent("filler")
                FileManager.default.createFile(atPath: filler.path, contents: nil)
                if let handle = FileHandle(forWritingAtPath: filler.path) {
                    let block = Data(count: 64 << 10)
                    while (try? handle.write(contentsOf: block)) != nil {}
                    try? handle.close()
                }
            }
        })
        options.comparison = false
        let result = try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true))
        #expect(result.failures.count == 1)
        let message = try #require(result.failures.first?.message)
        #expect(message.contains("No space left on device") && !message.contains("NSCocoaErrorDomain"), "\(message)")
        let record = try RunRecord.read(result.folder.appendingPathComponent("run.json"))
        #expect(record.status == .failed && record.message == message)
        let hidden = try FileManager.default.contentsOfDirectory(atPath: result.folder.path).filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "\(hidden)")
    }
}
