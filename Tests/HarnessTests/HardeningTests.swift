import Foundation
import Testing
import TensorCore
import VideoData
@testable import Harness

/// A small MR.HiSum-layout set written by hand (width 16, 6 frames per video, shots tiling each video):
/// video_1...4 train, video_5 val, video_6 test. `custom` may write a video's group itself (return true).
enum HandMadeData {
    static let keys = (1...6).map { "video_\($0)" }

    static func standard(_ group: HDF5Group, index: Int) throws {
        try group.write((0..<96).map { Float(($0 * 7 + index) % 11) / 11 }, shape: [6, 16], to: "features")
        try group.write((0..<6).map { Double(($0 + index) % 6) / 6 }, shape: [6], to: "gtscore")
        try group.write([Int64(0), 3, 3, 6], shape: [2, 2], to: "change_points")
        try group.write([Float(1), 0, 0, 0, 0, 0], shape: [6], to: "gt_summary")
    }

    static func write(_ label: String, splitJSON: String? = nil,
                      custom: (String, HDF5Group) throws -> Bool = { _, _ in false }) throws -> DataSource {
        let directory = try TestData.temporaryDirectory(label)
        let data = directory.appendingPathComponent("mr_hisum.h5")
        let file = try HDF5File.create(data)
        do {
            let root = try file.root()
            for (index, key) in keys.enumerated() {
                let group = try root.createGroup(key)
                if try !custom(key, group) { try standard(group, index: index) }
            }
        }
        try file.close()
        let split = directory.appendingPathComponent("mr_hisum_split.json")
        try Data((splitJSON ?? #"{"train_keys": ["video_1", "video_2", "video_3", "video_4"], "val_keys": ["video_5"], "test_keys": ["video_6"]}"#).utf8).write(to: split)
        return DataSource(dataFile: data, splitFile: split, synthetic: false)
    }
}

/// Issue 17, command-line cases: each refused input exits 1 with the option, file or video named, and
/// leaves the results root empty.
@Suite struct HardeningCLITests {
    static func bench(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let run = try runBench(arguments, timeout: 120)
        return (run.status, run.output)
    }

    /// Runs `bench`, killing it after `timeout` seconds. `reason` is "exit", "signal" or "timeout";
    /// a signal or a timeout reports status -1.
    static func runBench(_ arguments: [String], timeout: Double) throws -> (status: Int32, reason: String, output: String) {
        let process = Process()
        process.executableURL = ThresholdCheckTests.benchExecutable
        process.arguments = arguments
        let output = try TestData.temporaryDirectory("bench-output").appendingPathComponent("out.txt")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        if timedOut { return (-1, "timeout", text) }
        if process.terminationReason == .uncaughtSignal { return (-1, "signal \(process.terminationStatus)", text) }
        return (process.terminationStatus, "exit", text)
    }

    static func modelRun(_ data: DataSource, _ extra: [String] = []) throws -> (status: Int32, output: String, results: [String]) {
        let results = try TestData.temporaryDirectory("cli-results")
        let run = try bench(["model", "videosage", "--size", "small", "--data", data.dataFile.path, "--split", data.splitFile.path,
                             "--out", results.path, "--threads", "1", "--epochs", "1"] + extra)
        return (run.status, run.output, try FileManager.default.contentsOfDirectory(atPath: results.path))
    }

    @Test(arguments: [
        (["model", "videosage", "--epochs", "-1"], "Error: --epochs must be at least 1, got -1"),
        (["model", "videosage", "--epochs=-1"], "Error: --epochs must be at least 1, got -1"),
        (["model", "videosage", "--batch-size", "-4"], "Error: --batch-size must be at least 1, got -4"),
        (["model", "videosage", "--weight-decay", "nan"], "Error: --weight-decay must be a finite number, got nan"),
        (["model", "videosage", "--lr", "inf"], "Error: --lr must be a finite number, got inf"),
        (["model", "videosage", "--dropout", "1.5"], "Error: --dropout must be in [0, 1), got 1.5"),
        (["model", "videosage", "--threads", "10000"], "Error: --threads 10000 is more than \(ThreadLimit.maximum) (4 x this machine's"),
        (["speed", "videosage", "--input-dim", "0"], "Error: --input-dim must be at least 1, got 0"),
        (["speed", "videosage", "--frames", "-5"], "Error: --frames must be at least 2, got -5"),
    ])
    func numericOptionsAreRefusedByName(arguments: [String], message: String) throws {
        let run = try Self.bench(arguments)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains(message), "\(run.output)")
    }

    @Test func giganticDataSetIsRefusedUpFrontByModelAndInspect() throws {
        let rows = 1_000_000_000_000    // 1e12 x 16 floats: 64 TB declared, a file of a few kB
        let data = try HandMadeData.write("cli-gigantic") { key, group in
            guard key == "video_2" else { return false }
            try group.declare("features", shape: [rows, 16], as: Float.self)
            try group.declare("gtscore", shape: [rows], as: Double.self)
            try group.declare("gt_summary", shape: [rows], as: Float.self)
            try group.write([Int64(0), Int64(rows)], shape: [1, 2], to: "change_points")
            return true
        }
        let message = "\(data.dataFile.path), video video_2: `features` declares shape [\(rows), 16], 64.0 TB in memory, more than the"
        let run = try Self.modelRun(data)
        #expect(run.status == 1 && run.output.contains(message), "\(run.output)")
        #expect(run.results.isEmpty)
        let inspect = try Self.bench(["data", "inspect", data.dataFile.path])
        #expect(inspect.status == 1 && inspect.output.contains(message), "\(inspect.output)")
    }

    @Test(arguments: ["int8", "summary", "gap", "noval"])
    func badDataIsRefusedBeforeTraining(kind: String) throws {
        var splitJSON: String?
        if kind == "noval" { splitJSON = #"{"train_keys": ["video_1", "video_2", "video_3", "video_4", "video_5"], "test_keys": ["video_6"]}"# }
        let data = try HandMadeData.write("cli-\(kind)", splitJSON: splitJSON) { key, group in
            guard key == "video_2", kind != "noval" else { return false }
            if kind == "int8" {
                try group.write([Int8](repeating: 100, count: 96), shape: [6, 16], to: "features")
            } else {
                try group.write((0..<96).map { Float($0) / 96 }, shape: [6, 16], to: "features")
            }
            try group.write((0..<6).map { Double($0) / 6 }, shape: [6], to: "gtscore")
            try group.write(kind == "gap" ? [Int64(0), 2, 3, 6] : [0, 6], shape: [kind == "gap" ? 2 : 1, 2], to: "change_points")
            try group.write(kind == "summary" ? [Float(1), 2, 0, 0, 0, 0] : [1, 0, 0, 0, 0, 0], shape: [6], to: "gt_summary")
            return true
        }
        let file = data.dataFile.path
        let message = switch kind {
        case "int8": "\(file), video video_2: `features` are stored as int8, not as floats"
        case "summary": "\(file), video video_2: `gt_summary` holds 2.0 at index 1; a keyshot summary holds only 0 and 1"
        case "gap": "\(file), video video_2: frames 2..<3 belong to no shot (change point row 1)"
        default: "\(data.splitFile.path): the split has no validation videos (\"val_keys\" is missing or empty), so no epoch can be chosen"
        }
        let run = try Self.modelRun(data)
        #expect(run.status == 1 && run.output.contains(message), "\(run.output)")
        #expect(run.results.isEmpty, "nothing is written for bad data")
        // inspect applies the same rules, with the same words.
        let inspect = try Self.bench(["data", "inspect", file])
        #expect(inspect.status == 1 && inspect.output.contains(message), "\(inspect.output)")
    }

    /// SIGTERM (as SIGINT) mid-training: the run stops at the next step, run.json says interrupted with
    /// where it stopped, and no temporary or reserve file is left.
    @Test func sigtermEndsTheRunInterruptedWithNoTemporaryFiles() throws {
        var config = TestData.smallConfig
        config.featureWidth = 1024
        let data = try TestData.synthetic("sigterm", config: config)
        let results = try TestData.temporaryDirectory("sigterm-results")
        let process = Process()
        process.executableURL = ThresholdCheckTests.benchExecutable
        process.arguments = ["model", "videosage", "--size", "small", "--data", data.dataFile.path, "--split", data.splitFile.path,
                             "--out", results.path, "--threads", "1", "--quiet", "--epochs", "500", "--patience", "500"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var folder: URL?
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, folder == nil {
            usleep(50_000)
            for candidate in try FileManager.default.contentsOfDirectory(at: results, includingPropertiesForKeys: nil) {
                if let record = try? RunRecord.read(candidate.appendingPathComponent("run.json")), record.epochs.count >= 1 { folder = candidate }
            }
        }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let runFolder = try #require(folder)
        let record = try RunRecord.read(runFolder.appendingPathComponent("run.json"))
        #expect(process.terminationReason == .exit && process.terminationStatus == 130,
                "\(process.terminationReason.rawValue) \(process.terminationStatus): \(record.status) \(record.message ?? "")")
        #expect(record.status == .interrupted && record.message?.hasPrefix("stopped in epoch") == true, "\(record.message ?? "")")
        let left = try FileManager.default.contentsOfDirectory(atPath: runFolder.path).filter { $0.hasPrefix(".") }
        #expect(left.isEmpty, "\(left)")
    }

    /// Mutated HDF5 files through a child `bench data inspect`: HDF5 is a C library that has crashed on
    /// fuzzed files (it is not memory-safe), so an in-process fuzz could take the test runner down; a
    /// child with a timeout turns a crash or a hang into a failed expectation naming the seed. Each file
    /// must end in exit 0 (valid) or 1 (an error), never a signal or a hang.
    @Test func fuzzedHDF5FilesEndInAnErrorOrAValidRead() throws {
        let data = try HandMadeData.write("fuzz-hdf5")
        let original = [UInt8](try Data(contentsOf: data.dataFile))
        var random = SplitMix64(seed: 17)
        let directory = try TestData.temporaryDirectory("fuzz-hdf5-files")
        var outcomes: [Int32: Int] = [:]
        for index in 0..<120 {
            var bytes = original
            switch index % 4 {
            case 0: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            case 1:
                for _ in 0..<Int.random(in: 1...8, using: &random) { bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random) }
            case 2:
                // Metadata lives in the first kilobytes: hit them harder.
                for _ in 0..<Int.random(in: 1...4, using: &random) { bytes[Int.random(in: 0..<min(4096, bytes.count), using: &random)] = UInt8.random(in: 0...255, using: &random) }
            default:
                let at = Int.random(in: 0..<bytes.count, using: &random)
                bytes.replaceSubrange(at..<min(bytes.count, at + 8), with: [UInt8](repeating: 0xFF, count: 8))
            }
            let file = directory.appendingPathComponent("mr_hisum.h5")
            try Data(bytes).write(to: file)
            let run = try Self.runBench(["data", "inspect", file.path, "--split", data.splitFile.path], timeout: 30)
            #expect(run.status == 0 || run.status == 1, "mutation \(index) (seed 17): status \(run.status), reason \(run.reason)\n\(run.output.suffix(500))")
            outcomes[run.status, default: 0] += 1
        }
        // The mutations are not all harmless: most files must be refused.
        #expect((outcomes[1] ?? 0) > 60, "\(outcomes)")
    }
}
