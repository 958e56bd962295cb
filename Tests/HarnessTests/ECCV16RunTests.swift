import Evaluation
import FileSupport
import Foundation
import Models
import Testing
import VideoData
@testable import Harness

/// The eccv16 protocol through the harness (evaluation.md "TVSum and SumMe"): F1 against the user
/// summaries in every run, the set from the file name or --dataset, every fold with --splits all, and
/// the two model selections.
@Suite(.serialized) struct ECCV16RunTests {
    /// A small TVSum-like set: 15 videos of 10-20 s (20-40 feature rows), 4 annotators, 5 folds of 3.
    static func tvsumLike(_ label: String) throws -> SyntheticECCV16Summary {
        var config = SyntheticECCV16Config(like: .tvsum)
        config.videoCount = 15
        config.minSeconds = 10
        config.maxSeconds = 20
        config.featureWidth = 16
        config.shotSteps = 2...5
        config.annotators = 4...4
        return try SyntheticECCV16.generate(config, to: TestData.temporaryDirectory(label).appendingPathComponent("data"))
    }

    static let shared: Result<SyntheticECCV16Summary, any Error> = Result { try tvsumLike("eccv16-run") }

    static func source(_ set: SyntheticECCV16Summary, splitIndex: Int = 0) -> DataSource {
        DataSource(dataFile: set.dataFile, splitFile: set.splitFile, splitIndex: splitIndex, synthetic: true)
    }

    static func run(_ options: SessionOptions, tap: ((String) -> Void)? = nil) throws -> SessionResult {
        let progress = ProgressReporter(quiet: true)
        progress.tap = tap
        return try BenchSession.run(options, stop: StopRequest(), progress: progress)
    }

    @Test func everyTestVideoGetsTheECCV16F1OfItsPredictions() throws {
        let set = try Self.shared.get()
        let results = try TestData.temporaryDirectory("eccv16-f1")
        let result = try Self.run(RunFilesTests.options(Self.source(set), results: results, epochs: 2))
        let record = try #require(result.records.first)
        #expect(record.status == .completed)
        let test = try #require(record.test)
        let split = try SplitFile.read(set.splitFile, index: 0)
        #expect(test.videos.map(\.name) == split.test)
        #expect(test.f1.evaluated == split.test.count && test.f1.skipped == 0)
        // mAP is MR.HiSum's: not reported for eccv16 data.
        #expect(test.map50.mean == nil && test.map15.mean == nil && test.videos.allSatisfy { $0.map50 == nil })
        let recorded = try #require(record.evaluationProtocol?.eccv16)
        #expect(recorded.dataset == .tvsum && recorded.datasetFrom == "file name" && recorded.f1Reduction == .mean)

        // predictions.h5 alone (with the data file's picks, shots and user summaries) gives the same F1.
        let folder = result.folder.appendingPathComponent("tiny").appendingPathComponent("seed-0")
        let entries = try PredictionsFile.read(folder.appendingPathComponent(ModelRun.predictionsFileName))
        #expect(Set(entries.map(\.key)) == Set(split.test))
        let dataset = try ECCV16Dataset(file: set.dataFile, split: split)
        var meanDiffersFromMax = false
        for entry in entries {
            let video = try dataset.video(entry.key)
            #expect(entry.pred.count == video.length, "pred holds the step scores, one per feature row")
            let machine = try eccv16KeyshotSummary(stepScores: entry.pred.map(Double.init), picks: video.picks, shots: video.changePoints,
                                                   frameCount: video.frameCount, video: entry.key)
            #expect(entry.machineSummary == machine, "predictions.h5 holds the frame-level machine summary")
            let users = try #require(video.userSummaries).map { $0.map { $0 == 1 } }
            let mean = try eccv16F1(machine: machine, userSummaries: users, reduction: .mean).value
            let max = try eccv16F1(machine: machine, userSummaries: users, reduction: .max).value
            if abs(mean - max) > 1e-6 { meanDiffersFromMax = true }
            let f1 = try #require(test.videos.first { $0.name == entry.key }?.f1)
            #expect(abs(f1 - mean) < 1e-9, "video \(entry.key): recorded \(f1), recomputed \(mean)")
        }
        // Otherwise the test could not tell the TVSum reduction from SumMe's.
        #expect(meanDiffersFromMax)
        #expect(abs(try #require(test.f1.mean) - test.videos.compactMap(\.f1).reduce(0, +) / Double(test.videos.count)) < 1e-12)

        // --selection val (the default): the fold has no val keys, so a seeded 20% of its train keys
        // (12 -> 2 videos) chose the epoch, and the record says which.
        let selection = try #require(record.evaluationProtocol?.selection)
        #expect(selection.selection == .val && selection.validationFrom.hasPrefix("carved") && selection.note == nil)
        let carved = try #require(selection.validationKeys)
        #expect(carved.count == 2 && Set(carved).isSubset(of: split.train))
        #expect(record.data.valVideos == 2 && record.data.trainVideos == split.train.count - 2)
        #expect(record.epochs.allSatisfy { $0.valSpearmanRho != nil } && record.selectionRule.hasPrefix("best validation"))
        // The carve is seeded: the same seed and fold carve the same videos, another seed others.
        let again = try SelectionInfo.apply(.val, to: split, seed: 0, fold: 0, file: "s").info.validationKeys
        #expect(again == selection.validationKeys)
        let seeds = (1...5).map { try? SelectionInfo.apply(.val, to: split, seed: UInt64($0), fold: 0, file: "s").info.validationKeys }
        #expect(seeds.contains { $0 != selection.validationKeys })
        // A split with val keys (MR.HiSum's) is used as it is: the run is exactly as before.
        let withVal = DatasetSplit(train: ["a", "b", "c"], val: ["d"], test: ["e"])
        let kept = try SelectionInfo.apply(.val, to: withVal, seed: 3, fold: 0, file: "s")
        #expect(kept.split == withVal && kept.info.validationFrom == "split file" && kept.info.validationKeys == nil)
        // Too few train videos to carve 2 and keep one is an error naming the file and the fold.
        let tiny = DatasetSplit(train: ["a", "b"], val: [], test: ["e"])
        let error = try #require(throws: HarnessError.self) { try SelectionInfo.apply(.val, to: tiny, seed: 0, fold: 3, file: "folds.json") }
        #expect("\(error)".contains("folds.json: fold 3 has 2 train videos"))
    }

    @Test func aFileOfUnknownSetIsRefusedUnlessTheOptionsSayWhatItIs() throws {
        let set = try Self.shared.get()
        let folder = try TestData.temporaryDirectory("eccv16-unknown")
        let data = folder.appendingPathComponent("videos.h5"), splits = folder.appendingPathComponent("folds.json")
        try FileManager.default.copyItem(at: set.dataFile, to: data)
        try FileManager.default.copyItem(at: set.splitFile, to: splits)
        let results = folder.appendingPathComponent("results")
        var source = DataSource(dataFile: data, splitFile: splits, synthetic: true)
        let error = try #require(throws: ECCV16Error.self) {
            try Self.run(RunFilesTests.options(source, results: results, epochs: 1))
        }
        #expect(error == .unknownSet(file: data.path, found: []))
        #expect("\(error)".contains(data.path) && "\(error)".contains("--dataset"))
        #expect(!FileManager.default.fileExists(atPath: results.path), "refused before anything is written")

        source.eccv16Set = .summe
        let summe = try #require(try PreparedData.open(source, expectedFeatureWidth: nil).eccv16)
        #expect(summe.dataset == .summe && summe.datasetFrom == "--dataset" && summe.f1Reduction == .max)
        source.eccv16Set = nil
        source.f1Reduction = .max
        let reduced = try #require(try PreparedData.open(source, expectedFeatureWidth: nil).eccv16)
        #expect(reduced.dataset == nil && reduced.f1Reduction == .max && reduced.f1ReductionFrom == "--f1-reduction")
        // The options are eccv16's: on MR.HiSum data they are an error naming the option and the file.
        let mrhisum = try TestData.synthetic("eccv16-options-on-mrhisum")
        var wrong = mrhisum
        wrong.f1Reduction = .max
        let misuse = try #require(throws: HarnessError.self) { try PreparedData.open(wrong, expectedFeatureWidth: nil) }
        #expect("\(misuse)".contains("--f1-reduction") && "\(misuse)".contains(mrhisum.dataFile.path))
    }

    @Test(arguments: [
        (["model", "videosage", "--splits", "some"], "Error: --splits 'some': give 'all' or a list of fold indices"),
        (["model", "videosage", "--splits", "1,1", "--data", "x.h5"], "Error: --splits '1,1' lists a fold twice"),
        (["model", "videosage", "--splits", "all"], "Error: --splits all needs --data"),
        (["all", "--splits", "all", "--split-index", "2", "--data", "x.h5"], "Error: give --split-index 2 or --splits all, not both"),
        (["model", "videosage", "--f1-reduction", "max"], "Error: --f1-reduction needs --data with an eccv16"),
        (["all", "--dataset", "tvsum"], "Error: --dataset needs --data with an eccv16"),
    ])
    func protocolOptionsAreRefusedByName(arguments: [String], message: String) throws {
        let run = try HardeningCLITests.bench(arguments)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains(message), "\(run.output)")
    }

    @Test func theCommandLineRefusesAFileOfUnknownSetBeforeWritingAndTakesDataset() throws {
        let set = try Self.shared.get()
        let folder = try TestData.temporaryDirectory("eccv16-cli-unknown")
        let data = folder.appendingPathComponent("videos.h5")
        try FileManager.default.copyItem(at: set.dataFile, to: data)
        let source = DataSource(dataFile: data, splitFile: set.splitFile, synthetic: false)
        let refused = try HardeningCLITests.modelRun(source)
        #expect(refused.status == 1 && refused.output.contains("\(data.path): its name holds neither"), "\(refused.output)")
        #expect(refused.results.isEmpty, "nothing is written")
        let run = try HardeningCLITests.modelRun(source, ["--dataset", "summe"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("F1: eccv16 user summaries, max over users (set: summe, from --dataset"), "\(run.output)")
    }

    @Test func fiveFoldsTestEveryVideoExactlyOnceAndPoolTheComparison() throws {
        let set = try Self.shared.get()
        let results = try TestData.temporaryDirectory("eccv16-folds")
        var options = RunFilesTests.options(Self.source(set), results: results, epochs: 1)
        options.allSplits = true
        let result = try Self.run(options)
        #expect(result.records.count == 5 && result.records.allSatisfy { $0.status == .completed })
        let folds = try SplitFile.readAll(set.splitFile)
        for (k, record) in result.records.enumerated() {
            let file = result.folder.appendingPathComponent("tiny/seed-0/split-\(k)/run.json")
            #expect(try RunRecord.read(file).data.splitIndex == k)
            #expect(record.data.splitIndex == k && record.evaluationProtocol?.fold == k && record.evaluationProtocol?.folds == 5)
            #expect(record.test?.videos.map(\.name) == folds[k].test)
            // Each fold carves its own validation videos from its own train keys.
            let carved = Set(try #require(record.evaluationProtocol?.selection?.validationKeys))
            #expect(carved.count == 2 && carved.isSubset(of: folds[k].train))
        }
        let tested = result.records.flatMap { $0.test?.videos.map(\.name) ?? [] }
        #expect(tested.count == 15 && Set(tested).count == 15)

        let summary = try #require(result.summary)
        #expect(summary.testCoverage == [TestCoverage(model: "tiny", seed: 0, videos: 15, timesTested: [0, 15])])
        let markdown = try String(contentsOf: result.folder.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(markdown.contains("Test coverage over the folds: 15 videos: 0 tested 0 times, 15 tested once."))
        let json = try String(contentsOf: result.folder.appendingPathComponent("summary.json"), encoding: .utf8)
        #expect(json.contains("\"times_tested\""))
        // Pooled: the comparison's F1 is over all 15 videos, each from the fold that tested it.
        let stats = try #require(summary.statistics)
        let f1 = try #require(stats.models.first { $0.model == "tiny" && $0.metric == "f1" })
        let pooled = result.records.flatMap { $0.test!.videos.compactMap(\.f1) }
        #expect(pooled.count == 15 && abs(f1.mean - pooled.reduce(0, +) / 15) < 1e-9)
        // The spread over folds: the sample sd of the five fold means.
        let foldF1 = result.records.map { $0.test!.f1.mean! }
        let meanF1 = foldF1.reduce(0, +) / 5
        let sdF1 = (foldF1.map { ($0 - meanF1) * ($0 - meanF1) }.reduce(0, +) / 4).squareRoot()
        let spread = try #require(summary.foldSpread?.first { $0.model == "tiny" && $0.metric == "f1" })
        let sdFolds = try #require(spread.sdFolds)
        #expect(spread.folds == 5 && abs(sdFolds - sdF1) < 1e-9 && sdF1 > 0)
        #expect(markdown.contains("Spread over the folds (sample sd of the fold means, averaged over seeds): tiny: test_mse "))
        // `bench report` rebuilds the same coverage from the run folders alone.
        let rebuilt = try Summary(records: try Summary.runRecords(in: result.folder), runIds: [result.runId])
        #expect(rebuilt.testCoverage == summary.testCoverage)

        // A fold that failed tested nothing: its videos count as never tested.
        var broken = result.records
        broken[2].status = .failed
        #expect(TestCoverage.of(broken) == [TestCoverage(model: "tiny", seed: 0, videos: 15, timesTested: [3, 12])])
    }

    @Test func selectionOnTheTestFoldIsMarkedOptimisticEverywhere() throws {
        let set = try Self.shared.get()
        let results = try TestData.temporaryDirectory("eccv16-select-test")
        var options = RunFilesTests.options(Self.source(set), results: results, epochs: 3)
        options.selection = .test
        var lines: [String] = []
        let result = try Self.run(options) { lines.append($0) }
        let record = try #require(result.records.first)
        let split = try SplitFile.read(set.splitFile, index: 0)
        let selection = try #require(record.evaluationProtocol?.selection)
        #expect(selection.selection == .test && selection.validationKeys == split.test && selection.note == "selected on test (optimistic)")
        #expect(record.data.trainVideos == split.train.count && record.data.valVideos == split.test.count)
        #expect(record.selectionRule.contains("selected on test (optimistic)"))
        // The epoch really was chosen on the test videos: the chosen epoch's "validation" rho is the test rho.
        let chosen = try #require(record.chosenEpoch)
        let valRho = try #require(record.epochs[chosen].valSpearmanRho), testRho = try #require(record.test?.spearmanRho.mean)
        #expect(abs(valRho - testRho) < 1e-9)
        #expect(lines.contains { $0.contains("WARNING") && $0.contains("selected on test (optimistic)") })
        #expect(lines.contains { $0.hasPrefix("tiny test (") && $0.contains("selected on test (optimistic)") })
        let markdown = try String(contentsOf: result.folder.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(markdown.contains("| tiny [selected on test (optimistic)] |"))
        #expect(result.summary?.statistics?.models.allSatisfy { $0.model == "tiny [selected on test (optimistic)]" } == true)

        // Beside the same model selected on validation videos, the two are separate rows and their pair
        // is the measured optimism.
        var valOptions = RunFilesTests.options(Self.source(set), results: results, epochs: 3)
        valOptions.selection = .val
        let val = try Self.run(valOptions)
        let both = try Summary(records: val.records + result.records, runIds: [val.runId, result.runId])
        let models = Set(try #require(both.statistics).models.map(\.model))
        #expect(models == ["tiny", "tiny [selected on test (optimistic)]"])
        let pair = try #require(both.statistics?.pairs.first { $0.metric == "f1" && $0.a == "tiny" && $0.b == "tiny [selected on test (optimistic)]" })
        // The summary states the optimism: test-selected minus validation-selected, the pair's sign flipped.
        let optimism = try #require(both.selectionOptimism?.first { $0.model == "tiny" && $0.metric == "f1" })
        #expect(optimism.optimism == -pair.meanDifference && optimism.ci95.lower == -pair.ci95.upper && optimism.pHolm == pair.pHolm)
        #expect(optimism.selectedOnTest == both.statistics?.models.first { $0.model == "tiny [selected on test (optimistic)]" && $0.metric == "f1" }?.mean)
        #expect(optimism.selectedOnValidation == both.statistics?.models.first { $0.model == "tiny" && $0.metric == "f1" }?.mean)
        #expect(Set(try #require(both.selectionOptimism).map(\.metric)) == ["test_mse", "kendall_tau", "spearman_rho", "f1"])
        let bothMarkdown = SummaryWriter.markdown(both, report: nil)
        #expect(bothMarkdown.contains("## Optimism of choosing the epoch on the test fold"))
        #expect(bothMarkdown.contains("| tiny | f1 | "))
        // One selection alone has nothing to measure the optimism against.
        #expect(result.summary?.selectionOptimism == nil && val.summary?.selectionOptimism == nil)
    }
}
