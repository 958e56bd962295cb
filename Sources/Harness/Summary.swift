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

    public init(records: [RunRecord], runIds: [String]) throws {
        self.runIds = runIds
        var seen = Set<String>()
        datasets = records.map(\.data).filter { seen.insert($0.contentHash).inserted }
        rows = records.map(SummaryRow.init)
        statistics = try ComparisonBuilder.statistics(records)
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
