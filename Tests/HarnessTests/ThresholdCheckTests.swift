import Evaluation
import Foundation
import Testing
@testable import Harness

/// `bench check`: passing and failing results folders, and thresholds derived from several seeds.
@Suite(.serialized) struct ThresholdCheckTests {
    /// A finished results folder from a short real session with the tiny model.
    static func resultsFolder(_ label: String, seed: UInt64 = 0) throws -> URL {
        let data = try TestData.synthetic(label)
        var options = RunFilesTests.options(data, results: try TestData.temporaryDirectory("\(label)-results"), epochs: 2)
        options.seeds = [seed]
        return try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true)).folder
    }

    static func thresholds(rhoFloor: Double, mseCeiling: Double, fpsFloor: Double, model: String = "tiny") -> ThresholdFile {
        ThresholdFile(appliesTo: "test", method: "by hand", derivedFrom: [],
                      models: [model: ["spearman_rho": MetricLimit(floor: rhoFloor, ceiling: nil, observed: [], margin: 0),
                                       "test_mse": MetricLimit(floor: nil, ceiling: mseCeiling, observed: [], margin: 0),
                                       "train_frames_per_second": MetricLimit(floor: fpsFloor, ceiling: nil, observed: [], margin: 0)]])
    }

    @Test func checkPassesWithinAndFailsBeyondTheLimits() throws {
        let folder = try Self.resultsFolder("check")
        let summary = try Summary.load(resultsFolder: folder)
        let row = try #require(summary.rows.first)
        let rho = try #require(row.spearmanRho?.mean), mse = try #require(row.testMse), fps = try #require(row.trainFramesPerSecond)

        let passing = Self.thresholds(rhoFloor: rho - 0.01, mseCeiling: mse * 1.01, fpsFloor: fps * 0.5)
        #expect(ThresholdCheck.check(summary, against: passing).isEmpty)

        let failing = Self.thresholds(rhoFloor: rho + 0.01, mseCeiling: mse * 0.99, fpsFloor: fps * 2)
        let regressions = ThresholdCheck.check(summary, against: failing)
        #expect(regressions.map(\.metric) == ["spearman_rho", "test_mse", "train_frames_per_second"])
        #expect(regressions.allSatisfy { $0.model == "tiny" })
        #expect(regressions[0].description.hasPrefix("tiny: spearman_rho ") && regressions[0].description.contains("breaks floor"))

        // A model with thresholds but no run is a regression; so is an unfinished run.
        let other = Self.thresholds(rhoFloor: -1, mseCeiling: 1, fpsFloor: 0, model: "csta")
        #expect(ThresholdCheck.check(summary, against: other) == [Regression(model: "csta", metric: "run", value: nil,
                                                                             limit: "no run of this model in the results")])
        var unfinished = summary
        unfinished.rows[0].status = "interrupted"
        #expect(ThresholdCheck.check(unfinished, against: passing).map(\.metric) == ["status"])

        // The file round-trips and a run.json-only folder (bench model) is read as well.
        let file = try TestData.temporaryDirectory("thresholds").appendingPathComponent("ci-thresholds.json")
        try failing.encoded().write(to: file)
        let read = try ThresholdFile.read(file)
        #expect(ThresholdCheck.check(try Summary.load(resultsFolder: folder.appendingPathComponent("tiny/seed-0")), against: read).count == 3)
    }

    /// The `bench` executable built beside this test bundle (swift test builds every product).
    static var benchExecutable: URL {
        let directory = Bundle.main.executableURL?.deletingLastPathComponent()
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return directory.appendingPathComponent("bench")
    }

    /// Runs `bench` with `arguments`; `environment` replaces the inherited one when given.
    static func runBench(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = benchExecutable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func benchCheckExitCodes() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.benchExecutable.path), "no bench at \(Self.benchExecutable.path)")
        let folder = try Self.cachedFolder
        let row = try #require(try Summary.load(resultsFolder: folder).rows.first)
        let directory = try TestData.temporaryDirectory("cli-check")
        let good = directory.appendingPathComponent("good.json"), bad = directory.appendingPathComponent("bad.json")
        try Self.thresholds(rhoFloor: row.spearmanRho!.mean! - 0.01, mseCeiling: row.testMse! * 1.01, fpsFloor: 1).encoded().write(to: good)
        try Self.thresholds(rhoFloor: row.spearmanRho!.mean! + 0.01, mseCeiling: row.testMse! * 0.99, fpsFloor: 1).encoded().write(to: bad)

        let pass = try Self.runBench(["check", "--results", folder.path, "--thresholds", good.path])
        #expect(pass.status == 0, "\(pass.output)")
        #expect(pass.output.hasPrefix("ok:"))
        let fail = try Self.runBench(["check", "--results", folder.path, "--thresholds", bad.path])
        #expect(fail.status == 1)
        #expect(fail.output.contains("REGRESSION tiny: spearman_rho") && fail.output.contains("REGRESSION tiny: test_mse"))
        #expect(fail.output.contains("2 regression(s)"))
        let missing = try Self.runBench(["check", "--results", directory.appendingPathComponent("nothing").path, "--thresholds", good.path])
        #expect(missing.status != 0 && missing.output.contains("nothing"))
    }

    @Test func badThresholdFilesAreNamed() throws {
        let file = try TestData.temporaryDirectory("bad-thresholds").appendingPathComponent("t.json")
        try Data(#"{"schema": "bench.thresholds", "schema_version": 1, "applies_to": "x", "method": "m", "derived_from": [], "models": {"csta": {"spearman": {"floor": 0.1, "observed": [], "margin": 0}}}}"#.utf8).write(to: file)
        #expect(throws: HarnessError.badThresholds(path: file.path, reason: "csta: unknown metric 'spearman'")) {
            try ThresholdFile.read(file)
        }
    }

    @Test func derivedLimitsFollowTheStatedRule() throws {
        func summary(rho: Double, mse: Double, fps: Double, seed: UInt64) throws -> Summary {
            var s = try Summary.load(resultsFolder: Self.cachedFolder)
            s.rows[0].seed = seed
            s.rows[0].runId = "run-of-seed-\(seed)"
            s.rows[0].spearmanRho = MetricSummary([rho])
            s.rows[0].kendallTau = MetricSummary([rho * 0.7])
            s.rows[0].testMse = mse
            s.rows[0].trainFramesPerSecond = fps
            return s
        }
        let seeds = [("s1", try summary(rho: 0.40, mse: 0.050, fps: 1000, seed: 1)), ("s2", try summary(rho: 0.42, mse: 0.052, fps: 1200, seed: 2)),
                     ("s3", try summary(rho: 0.41, mse: 0.051, fps: 900, seed: 3))]
        let derived = try ThresholdCheck.derive(from: seeds)
        let limits = try #require(derived.models["tiny"])
        // rho: std 0.01 -> 3 std = 0.03 < margin 0.05, so floor = 0.40 - 0.05.
        #expect(abs(limits["spearman_rho"]!.floor! - 0.35) < 1e-12)
        #expect(limits["spearman_rho"]!.observed == [0.40, 0.42, 0.41])
        // MSE: ceiling = 0.052 + max(0.25 x 0.052, 3 std).
        #expect(abs(limits["test_mse"]!.ceiling! - 0.052 * 1.25) < 1e-12)
        // Throughput: 0.3 x median.
        #expect(abs(limits["train_frames_per_second"]!.floor! - 300) < 1e-9)
        #expect(derived.derivedFrom == ["s1", "s2", "s3"])
        // Every seed's own results pass the derived limits.
        for (_, s) in seeds { #expect(ThresholdCheck.check(s, against: derived).isEmpty) }
        #expect(throws: HarnessError.self) { try ThresholdCheck.derive(from: [seeds[0]]) }
        // The same run three times is one seed, not three.
        let once = seeds[0].1
        let error = #expect(throws: HarnessError.self) { try ThresholdCheck.derive(from: [("a", once), ("b", once), ("c", once)]) }
        #expect("\(error!)".contains("appears twice (a and b): thresholds need distinct seeds"))
    }

    /// One finished results folder shared by the tests that only read it (created once, thread-safely).
    static let sharedFolder = Result<URL, any Error> { try resultsFolder("shared") }
    static var cachedFolder: URL { get throws { try sharedFolder.get() } }

    @Test func reportMergesRuns() throws {
        let a = try Self.resultsFolder("merge-a", seed: 1), b = try Self.resultsFolder("merge-b", seed: 2)
        let merged = try RunMerge.merge([a, b])
        #expect(merged.rows.count == 2 && Set(merged.rows.map(\.seed)) == [1, 2])
        // Both runs used the same generated bytes, so the merged comparison names one data set.
        #expect(merged.runIds.count == 2 && merged.datasets.count == 1)
        let out = try TestData.temporaryDirectory("merged")
        try SummaryWriter.write(merged, to: out, report: nil)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.md").path))
    }
}
