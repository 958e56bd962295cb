import Evaluation
import FileSupport
import Foundation
import Models
import Testing
import VideoData
@testable import Harness

/// statistics.md wired into comparisons: verdicts on constructed runs, several seeds in one session, and
/// `bench report` reproducing the in-process statistics from run folders made by separate processes.
@Suite(.serialized) struct ComparisonTests {
    /// One real run of the tiny model, as the template of constructed runs.
    static let template: Result<RunRecord, any Error> = Result {
        let data = try TestData.synthetic("template")
        var options = RunFilesTests.options(data, results: try TestData.temporaryDirectory("template-results"), epochs: 2)
        options.seeds = [0]
        return try #require(try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true)).records.first)
    }

    /// The template renamed, at a seed, with every per-video rank correlation moved by `shift`.
    static func copy(_ record: RunRecord, as name: String, seed: UInt64, shift: Double = 0) -> RunRecord {
        var r = record
        r.model.name = name
        r.seed = seed
        var test = r.test!
        test.videos = test.videos.map { v in
            var v = v
            v.spearmanRho = v.spearmanRho.map { $0 + shift }
            v.kendallTau = v.kendallTau.map { $0 + shift }
            return v
        }
        test.spearmanRho = MetricSummary(test.videos.map(\.spearmanRho))
        test.kendallTau = MetricSummary(test.videos.map(\.kendallTau))
        r.test = test
        return r
    }

    @Test func anIdenticalCopyIsNotDistinguishableAndAShiftedOneIsFound() throws {
        let base = try Self.template.get()
        let records = [0, 1].flatMap { seed in
            [Self.copy(base, as: "a", seed: seed), Self.copy(base, as: "b", seed: seed), Self.copy(base, as: "c", seed: seed, shift: 0.2)]
        }
        let stats = try ComparisonBuilder.statistics(records, replicates: 2_000)
        func pair(_ metric: String, _ a: String, _ b: String) throws -> PairComparison {
            try #require(stats.pairs.first { $0.metric == metric && $0.a == a && $0.b == b })
        }
        let same = try pair("spearman_rho", "a", "b")
        #expect(same.verdict == "not distinguishable" && same.pValue == 1 && same.meanDifference == 0 && same.seedAgreement == 0.5)
        let shifted = try pair("spearman_rho", "a", "c")
        #expect(shifted.verdict == "a < c" && abs(shifted.meanDifference + 0.2) < 1e-12 && shifted.seedAgreement == 0)
        #expect(shifted.ci95.upper < 0 && shifted.pHolm < 0.05 && shifted.videos == base.test!.videos.count - shifted.skipped)
        #expect(try pair("kendall_tau", "b", "c").verdict == "b < c")
        // MSE is untouched by the shift: no verdict there.
        #expect(try pair("test_mse", "a", "c").verdict == "not distinguishable")
        // Per model: two runs of two seeds, the shifted mean 0.2 higher, an interval around it.
        let a = try #require(stats.models.first { $0.model == "a" && $0.metric == "spearman_rho" })
        let c = try #require(stats.models.first { $0.model == "c" && $0.metric == "spearman_rho" })
        #expect(a.runs == 2 && a.seeds == 2 && a.sdSeeds == 0 && abs(c.mean - a.mean - 0.2) < 1e-12)
        #expect(try #require(c.ci95).contains(c.mean))
        // The references come from the runs' own test videos: random about 0, and the same for every copy.
        let random = try #require(stats.references.first { $0.name == "random" && $0.metric == "spearman_rho" })
        #expect(abs(random.mean) < 0.1)
        #expect(stats.references.contains { $0.name == "oracle" })
    }

    /// `--seeds` makes one run per (model, seed) under <model>/seed-<s>/ and a comparison over them;
    /// `bench check` applies a threshold to the mean over seeds.
    @Test func severalSeedsInOneSessionAndTheCheckOnTheirMean() throws {
        let data = try TestData.synthetic("seeds")
        var options = RunFilesTests.options(data, results: try TestData.temporaryDirectory("seeds-results"), epochs: 2,
                                            models: ["tiny", "tiny2"])
        options.seeds = [0, 3]
        let result = try BenchSession.run(options, stop: StopRequest(), progress: ProgressReporter(quiet: true))
        #expect(result.records.count == 4 && result.failures.isEmpty)
        for model in ["tiny", "tiny2"] {
            for seed in [0, 3] {
                let record = try RunRecord.read(result.folder.appendingPathComponent("\(model)/seed-\(seed)/run.json"))
                #expect(record.seed == UInt64(seed) && record.status == .completed)
            }
        }
        let summary = try Summary.load(resultsFolder: result.folder)
        let stats = try #require(summary.statistics)
        #expect(stats.models.filter { $0.metric == "spearman_rho" }.map(\.seeds) == [2, 2])
        #expect(stats.pairs.filter { $0.metric == "spearman_rho" }.count == 1)
        let markdown = try String(contentsOf: result.folder.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(markdown.contains("## Which differences are real") && markdown.contains("## Ranking by test Spearman rho"))
        #expect(markdown.contains("| random |") && markdown.contains("The study's claim"))

        let rhos = summary.rows.filter { $0.model == "tiny" }.compactMap { $0.spearmanRho?.mean }
        let mean = rhos.reduce(0, +) / 2
        func limit(_ floor: Double) -> ThresholdFile {
            ThresholdFile(appliesTo: "test", method: "by hand", derivedFrom: [],
                          models: ["tiny": ["spearman_rho": MetricLimit(floor: floor, ceiling: nil, observed: [], margin: 0)]])
        }
        #expect(ThresholdCheck.check(summary, against: limit(mean - 1e-9)).isEmpty)
        let failing = ThresholdCheck.check(summary, against: limit(mean + 1e-9))
        #expect(failing.count == 1 && failing[0].description.contains("(mean of 2 runs)"))
    }

    /// Runs made by separate `bench` processes (one seed each), merged by `bench report`, give exactly
    /// the statistics a single `bench all --seeds 2` process wrote.
    @Test func benchReportReproducesTheInProcessStatistics() throws {
        let data = try TestData.synthetic("report-cli")
        let root = try TestData.temporaryDirectory("report-cli")
        let common = ["--data", data.dataFile.path, "--split", data.splitFile.path, "--size", "small", "--epochs", "2",
                      "--threads", "1", "--quiet"]
        func bench(_ arguments: [String]) throws -> String {
            let (status, output) = try ThresholdCheckTests.runBench(arguments)
            #expect(status == 0, "bench \(arguments.joined(separator: " ")): \(output)")
            return output
        }
        _ = try bench(["all", "--models", "videosage,edsnet", "--seeds", "2", "--out", root.appendingPathComponent("together").path] + common)
        for seed in ["0", "1"] {
            for model in ["videosage", "edsnet"] {
                _ = try bench(["model", model, "--seed", seed, "--out", root.appendingPathComponent("apart").path] + common)
            }
        }
        let together = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("together").path)
        let inProcess = try Summary.read(root.appendingPathComponent("together/\(together[0])/summary.json"))
        let apart = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("apart").path).sorted()
        #expect(apart.count == 4)
        _ = try bench(["report", "--out", root.appendingPathComponent("merged").path]
                      + apart.map { root.appendingPathComponent("apart/\($0)").path })
        let merged = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("merged").path)
        let report = try Summary.read(root.appendingPathComponent("merged/\(merged[0])/summary.json"))
        let a = try #require(inProcess.statistics), b = try #require(report.statistics)
        #expect(a.models.count == 2 * 9 && a.pairs.count == 6)
        // Throughput differs between processes; every statistic of the test metrics must be equal.
        let quality = Set(ComparisonBuilder.qualityMetrics)
        #expect(a.pairs == b.pairs && a.references == b.references)
        #expect(a.models.filter { quality.contains($0.metric) } == b.models.filter { quality.contains($0.metric) })
        #expect(a.resamplingSeed == b.resamplingSeed && a.bootstrapReplicates == b.bootstrapReplicates)
        // The same run given twice would count as two seeds: refused.
        let (status, output) = try ThresholdCheckTests.runBench(["report", "--out", root.appendingPathComponent("twice").path,
                                                                 root.appendingPathComponent("apart/\(apart[0])").path,
                                                                 root.appendingPathComponent("apart/\(apart[0])").path])
        #expect(status != 0 && output.contains("is given twice"))
    }

    /// A regression gate that checks nothing fails, and a model that exists nowhere is named as such;
    /// thresholds are never derived over an existing file.
    @Test func thresholdFilesThatCheckNothingOrNameNoModelFail() throws {
        let folder = try ThresholdCheckTests.cachedFolder
        let directory = try TestData.temporaryDirectory("gate")
        let empty = directory.appendingPathComponent("empty.json"), unknown = directory.appendingPathComponent("unknown.json")
        try ThresholdFile(appliesTo: "t", method: "m", derivedFrom: [], models: [:]).encoded().write(to: empty)
        try ThresholdCheckTests.thresholds(rhoFloor: 0, mseCeiling: 1, fpsFloor: 0, model: "foonet").encoded().write(to: unknown)
        let (emptyStatus, emptyOutput) = try ThresholdCheckTests.runBench(["check", "--results", folder.path, "--thresholds", empty.path])
        #expect(emptyStatus == 1 && emptyOutput.contains("\(empty.path): bad thresholds file: it names no models, so it would check nothing"))
        let (unknownStatus, unknownOutput) = try ThresholdCheckTests.runBench(["check", "--results", folder.path, "--thresholds", unknown.path])
        #expect(unknownStatus == 1 && unknownOutput.contains("model 'foonet' is not a registered model"))
        let (deriveStatus, deriveOutput) = try ThresholdCheckTests.runBench(["report", "--derive-thresholds", empty.path, folder.path, folder.path])
        #expect(deriveStatus != 0 && deriveOutput.contains("already exists"))
        #expect(try ThresholdFile.read(empty).models.isEmpty)
    }
}
