import Evaluation
import FileSupport
import Foundation

/// One model's line in the comparison.
public struct SummaryRow: Codable, Sendable {
    public var model: String
    public var variant: String
    public var size: String
    public var seed: UInt64
    public var runId: String
    public var status: String
    public var parameters: Int
    public var epochsRun: Int
    public var chosenEpoch: Int?
    public var testMse: Double?
    public var kendallTau: MetricSummary?
    public var spearmanRho: MetricSummary?
    public var f1: MetricSummary?
    public var map50: MetricSummary?
    public var map15: MetricSummary?
    public var trainFramesPerSecond: Double?
    public var inferenceFramesPerSecond: Double?
    public var msPerStep: Double?
    public var achievedGflops: Double?
    public var fractionOfSgemmPeak: Double?
    public var peakTensorBytes: Int?
    public var peakResidentBytes: Int?
    public var skippedNonFiniteSteps: Int
    public var wallSeconds: Double?
    /// Validation Spearman per epoch (for the chart).
    public var valSpearmanRhoByEpoch: [Double?]
    /// The fold of a `--splits all` session (absent otherwise).
    public var splitIndex: Int?
    /// "val" or "test" (absent in records written before selection was recorded).
    public var selection: String?
    /// The rank-correlation protocol of tau and rho: "gtscore" or "annotators".
    public var correlation: String?

    public init(_ r: RunRecord) {
        model = r.model.name
        variant = r.model.variant
        size = r.model.size
        seed = r.seed
        runId = r.runId
        status = r.status.rawValue
        parameters = r.model.parameters
        epochsRun = r.epochs.count
        chosenEpoch = r.chosenEpoch
        testMse = r.test?.mse
        kendallTau = r.test?.kendallTau
        spearmanRho = r.test?.spearmanRho
        f1 = r.test?.f1
        map50 = r.test?.map50
        map15 = r.test?.map15
        trainFramesPerSecond = r.performance?.trainFramesPerSecond
        inferenceFramesPerSecond = r.performance?.inferenceFramesPerSecond
        msPerStep = r.performance?.msPerStep
        achievedGflops = r.performance?.achievedGflops
        fractionOfSgemmPeak = r.performance?.fractionOfSgemmPeak
        peakTensorBytes = r.performance?.peakTensorBytes
        peakResidentBytes = r.performance?.peakResidentBytes
        skippedNonFiniteSteps = r.skippedNonFiniteSteps
        wallSeconds = r.wallSeconds
        valSpearmanRhoByEpoch = r.epochs.map(\.valSpearmanRho)
        splitIndex = r.evaluationProtocol?.folds == nil ? nil : r.data.splitIndex
        selection = r.evaluationProtocol?.selection?.selection.rawValue
        correlation = r.correlationProtocol.rawValue
    }
}

/// The comparison of several runs (`summary.json`), with the data they came from.
public struct Summary: Codable, Sendable {
    public var schema = "bench.summary"
    public var schemaVersion = 2
    public var runIds: [String]
    /// The data sets of the runs (path, synthetic or not, content hash), one per distinct set.
    public var datasets: [DataInfo]
    public var rows: [SummaryRow]
    /// statistics.md over the completed runs (`ComparisonBuilder`); absent in summaries written before it.
    public var statistics: ComparisonStatistics?
    /// With folds (`--splits all`): how many videos the completed runs tested 0, 1, 2, ... times, per
    /// model and seed (absent otherwise).
    public var testCoverage: [TestCoverage]?
    /// With folds: per model and quality metric, the sample standard deviation of the fold means (apart
    /// from the sd over seeds in `statistics`, which averages a seed's folds first).
    public var foldSpread: [FoldSpread]?
    /// What tau and rho were computed against, as the runs record it (one protocol per comparison).
    public var correlation: CorrelationInfo?
    /// When models ran with both selections: how much choosing the epoch on the test fold flatters them.
    public var selectionOptimism: [SelectionOptimism]?

    public init(records: [RunRecord], runIds: [String]) throws {
        self.runIds = runIds
        var seen = Set<String>()
        datasets = records.map(\.data).filter { seen.insert($0.contentHash).inserted }
        rows = records.map(SummaryRow.init)
        statistics = try ComparisonBuilder.statistics(records)
        testCoverage = TestCoverage.of(records)
        foldSpread = FoldSpread.of(records)
        correlation = records.lazy.compactMap { $0.evaluationProtocol?.correlation }.first
        let optimism = statistics.map(SelectionOptimism.of) ?? []
        selectionOptimism = optimism.isEmpty ? nil : optimism
    }

    public var isSynthetic: Bool { !datasets.isEmpty && datasets.allSatisfy(\.synthetic) }

    public static func read(_ url: URL) throws -> Summary {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw HarnessError.missingRun(path: url.path) }
        do { return try JSONCoding.decoder.decode(Summary.self, from: data) } catch {
            throw HarnessError.badRunRecord(path: url.path, reason: "\(error)")
        }
    }

    /// A results folder as a summary: its `summary.json`, or the `run.json` in it or in its subfolders.
    public static func load(resultsFolder url: URL) throws -> Summary {
        let summaryFile = url.appendingPathComponent("summary.json")
        if FileManager.default.fileExists(atPath: summaryFile.path) { return try read(summaryFile) }
        let records = try runRecords(in: url)
        guard !records.isEmpty else { throw HarnessError.missingRun(path: url.path) }
        return try Summary(records: records, runIds: Array(Set(records.map(\.runId))).sorted())
    }

    /// The run records under a folder: its own run.json, or every run.json below it (a comparison's
    /// `<model>/seed-<s>/[split-<k>/]` folders), in path order.
    public static func runRecords(in url: URL) throws -> [RunRecord] {
        let manager = FileManager.default
        let own = url.appendingPathComponent(ModelRun.runFileName)
        if manager.fileExists(atPath: own.path) { return [try RunRecord.read(own)] }
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue,
              let enumerator = manager.enumerator(at: url, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles]) else {
            throw HarnessError.missingRun(path: url.path)
        }
        var files: [URL] = []
        for case let file as URL in enumerator where file.lastPathComponent == ModelRun.runFileName { files.append(file) }
        return try files.sorted { $0.path < $1.path }.map(RunRecord.read)
    }
}

/// How often each video of a fold-pooled comparison was tested, for one model and seed.
public struct TestCoverage: Codable, Sendable, Equatable {
    public var model: String
    public var seed: UInt64
    /// The distinct videos of the runs' splits.
    public var videos: Int
    /// `timesTested[n]`: how many videos were tested in exactly n completed folds (index 0: never).
    public var timesTested: [Int]

    /// Per (model, seed) of the completed runs that ran over folds; nil when none did.
    static func of(_ records: [RunRecord]) -> [TestCoverage]? {
        let folded = records.filter { $0.evaluationProtocol?.folds != nil }
        guard !folded.isEmpty else { return nil }
        let labels = ComparisonBuilder.labels(records)
        var out: [TestCoverage] = []
        let groups = Dictionary(grouping: folded) { "\(labels[ComparisonBuilder.key($0)]!)|\($0.seed)" }
        for name in groups.keys.sorted() {
            let runs = groups[name]!
            var times: [String: Int] = [:]
            for r in runs { for key in r.evaluationProtocol?.splitKeys ?? [] where times[key] == nil { times[key] = 0 } }
            // A failed or interrupted fold tested nothing: its test videos count as untested.
            for r in runs where r.status == .completed { for v in r.test?.videos ?? [] { times[v.name, default: 0] += 1 } }
            var counts = [Int](repeating: 0, count: (times.values.max() ?? 0) + 1)
            for n in times.values { counts[n] += 1 }
            out.append(TestCoverage(model: labels[ComparisonBuilder.key(runs[0])]!, seed: runs[0].seed, videos: times.count, timesTested: counts))
        }
        return out
    }

    /// "50 videos: 0 tested 0 times, 50 tested once".
    public var sentence: String {
        let parts = timesTested.enumerated().map { n, count in
            "\(count) tested " + (n == 0 ? "0 times" : n == 1 ? "once" : n == 2 ? "twice" : "\(n) times")
        }
        return "\(videos) videos: " + parts.joined(separator: ", ")
    }
}

/// How much a model's test metric moves between folds.
public struct FoldSpread: Codable, Sendable, Equatable {
    public var model: String
    public var metric: String
    /// Completed folds per seed (the smallest over seeds).
    public var folds: Int
    /// The sample standard deviation over the folds of each seed, averaged over seeds (nil below 2 folds).
    public var sdFolds: Double?

    static func of(_ records: [RunRecord]) -> [FoldSpread]? {
        let folded = records.filter { $0.evaluationProtocol?.folds != nil && $0.status == .completed && $0.test != nil }
        guard !folded.isEmpty else { return nil }
        let labels = ComparisonBuilder.labels(records)
        let byModel = Dictionary(grouping: folded) { labels[ComparisonBuilder.key($0)]! }
        var out: [FoldSpread] = []
        for model in byModel.keys.sorted() {
            let bySeed = Dictionary(grouping: byModel[model]!, by: \.seed)
            for metric in ComparisonBuilder.qualityMetrics {
                var sds: [Double] = [], folds = Int.max
                for seed in bySeed.keys.sorted() {
                    let values = bySeed[seed]!.compactMap { ComparisonBuilder.runValue(metric, $0) }
                    folds = min(folds, values.count)
                    guard values.count >= 2 else { continue }
                    let mean = values.reduce(0, +) / Double(values.count)
                    sds.append((values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot())
                }
                guard folds > 0 && folds != Int.max else { continue }
                out.append(FoldSpread(model: model, metric: metric, folds: folds,
                                      sdFolds: sds.isEmpty ? nil : sds.reduce(0, +) / Double(sds.count)))
            }
        }
        return out
    }
}

/// The report's published table (baselines/report-table.json).
public struct ReportTable: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public var testLoss: Double
        public var kendallTau: Double
        public var spearmanRho: Double
        public var params: Int
    }
    public var source: String
    public var note: String
    public var dataset: String
    public var models: [String: Row]

    public static func read(_ url: URL) throws -> ReportTable {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw HarnessError.missingRun(path: url.path) }
        do { return try JSONCoding.decoder.decode(ReportTable.self, from: data) } catch {
            throw HarnessError.badRunRecord(path: url.path, reason: "\(error)")
        }
    }

    /// `baselines/report-table.json` under the current directory, when present.
    public static func findDefault() -> ReportTable? {
        try? read(URL(fileURLWithPath: "baselines/report-table.json"))
    }
}
