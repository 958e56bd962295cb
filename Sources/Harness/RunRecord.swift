import Evaluation
import FileSupport
import Foundation
import Models
import VideoData

/// `run.json`: everything about one model's run. Versioned by `schema` / `schemaVersion`; the fields are
/// documented in results/README.md. Keys are written in snake_case.
public struct RunRecord: Codable, Sendable {
    public static let currentSchemaVersion = 2
    public var schema = "bench.run"
    public var schemaVersion = RunRecord.currentSchemaVersion
    /// `running` while epochs are being written, then `completed`, `interrupted` or `failed`.
    public var status: RunStatus
    public var stoppedAt: StopPoint?
    public var message: String?
    /// One-line warnings about legitimate but unusual input (float64 features, gtscore outside [0, 1], F1
    /// unavailable for want of gt_summary), as printed before training. Absent in records written before
    /// warnings were recorded, hence optional; new records always carry the list, empty or not.
    public var warnings: [String]?
    public var runId: String
    public var started: String
    public var finished: String?
    public var wallSeconds: Double?

    public var model: ModelInfo
    /// The schedule that ran (published values with `overrides` applied).
    public var schedule: TrainingSchedule
    public var publishedSchedule: TrainingSchedule
    public var overrides: [ScheduleOverride]
    /// Differences from the report's code or setup that are deliberate (schedules.md), in words.
    public var deviations: [String]
    public var data: DataInfo
    public var seed: UInt64
    public var threads: Int

    public var epochs: [EpochRecord]
    /// Index (from 0) of the epoch whose checkpoint was tested; nil if none finished.
    public var chosenEpoch: Int?
    public var selectionRule: String
    public var test: SplitEvaluation?
    public var skippedNonFiniteSteps: Int
    public var performance: PerformanceInfo?
    public var machine: MachineInfo
    public var files: [String: String]
    /// Reference predictors scored on the same test videos (`random`; `oracle` on synthetic data).
    public var references: [ReferenceEvaluation]? = nil
    /// Per test video, the leave-one-annotator-out human agreement (`annotators` protocol only).
    public var humanAgreement: [HumanAgreement]? = nil
    /// How the run was evaluated beyond the metrics' definitions: the eccv16 F1 set and reduction, the
    /// model selection and its validation videos, the fold (absent in records written before it).
    public var evaluationProtocol: RunProtocol? = nil
    /// How a data-parallel run (`--distributed mpi`) split its work; absent for one process.
    public var distributed: DistributedInfo? = nil
}

/// run.json's `evaluation_protocol`.
public struct RunProtocol: Codable, Sendable {
    /// How F1 was computed: "MR.HiSum gt_summary", "eccv16 user summaries" or "none".
    public var f1: String
    /// The eccv16 set and F1 reduction (eccv16 data only).
    public var eccv16: ECCV16Protocol?
    /// What tau and rho were computed against (absent in records written before it: `gtscore`).
    public var correlation: CorrelationInfo?
    public var selection: SelectionInfo?
    /// The fold of the split file this run trained and tested (its `split_index`), and how many the
    /// session ran when it ran every fold (`--splits all`).
    public var fold: Int
    public var folds: Int?
    /// Every video of the fold's split (train, val and test keys as the split file gives them), so a
    /// comparison over folds can count the videos no fold tested.
    public var splitKeys: [String]?

    public init(data: PreparedData) {
        switch data.dataset.layout {
        case .mrHiSum: f1 = "MR.HiSum gt_summary (15% knapsack on the feature-row shots)"
        case .eccv16: f1 = data.eccv16.map { "eccv16 user summaries, \($0.f1Reduction.rawValue) over users" } ?? "none"
        }
        eccv16 = data.eccv16
        correlation = CorrelationInfo(data.source.correlation, targets: data.annotators)
        selection = data.selection
        fold = data.source.splitIndex
        folds = data.folds
        // Only with folds: a single split's keys are already in the split file the record names.
        splitKeys = data.folds == nil ? nil : data.dataset.split.allKeys
    }

    /// True when the epoch was chosen on the test videos.
    public var selectedOnTest: Bool { selection?.selection == .test }
}

extension RunRecord {
    /// What the run's tau and rho were computed against (`gtscore` for records older than the field).
    public var correlationProtocol: CorrelationProtocol { evaluationProtocol?.correlation?.name ?? .gtscore }
}

public enum RunStatus: String, Codable, Sendable {
    case running, completed, interrupted, failed
}

/// Where a run stopped early: the epoch (from 0) and the step within it that had not run.
public struct StopPoint: Codable, Sendable, Equatable {
    public var epoch: Int
    public var step: Int
    public var reason: String
}

public struct ModelInfo: Codable, Sendable {
    public var name: String
    public var variant: String
    public var size: String
    public var parameters: Int
    public var configuration: [String: String]
    /// Every option of the variant as the run used it, defaults included (absent in records written
    /// before options were recorded).
    public var options: [String: String]?
}

public struct DataInfo: Codable, Sendable {
    public var path: String
    public var splitPath: String
    public var splitIndex: Int
    public var layout: String
    /// True for the generated stand-in: its numbers are never MR.HiSum results.
    public var synthetic: Bool
    public var contentHash: String
    public var hashMethod: String
    public var featureWidth: Int
    public var trainVideos: Int
    public var valVideos: Int
    public var testVideos: Int
    public var trainFrames: Int

    /// How the numbers of a stand-in are labelled everywhere they appear.
    public var standInLabel: String {
        layout == DatasetLayout.mrHiSum.rawValue ? "SYNTHETIC MR.HiSum-format stand-in (not MR.HiSum)"
                                                 : "SYNTHETIC eccv16-format stand-in (TVSum/SumMe-like, not TVSum or SumMe)"
    }
}

/// One epoch's numbers (also one row of curves.csv).
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var learningRate: Double
    /// Frame-weighted mean masked MSE over the epoch's finite training batches.
    public var trainLoss: Double?
    public var optimizerSteps: Int
    public var skippedSteps: Int
    public var trainFrames: Int
    public var trainSeconds: Double
    public var valMse: Double?
    public var valKendallTau: Double?
    public var valSpearmanRho: Double?
    public var valSeconds: Double
    /// True when this epoch's validation Spearman beat every earlier one (its checkpoint was kept).
    public var improved: Bool
}

public struct PerformanceInfo: Codable, Sendable {
    public var trainFramesPerSecond: Double
    public var inferenceFramesPerSecond: Double
    public var msPerStep: Double
    public var optimizerSteps: Int
    /// FLOPs counted by the tensor core's matrix products and convolutions during training.
    public var trainFlops: Double
    public var achievedGflops: Double
    public var sgemmPeakGflops: Double
    public var fractionOfSgemmPeak: Double
    public var peakTensorBytes: Int
    public var peakResidentBytes: Int
}

extension RunRecord {
    public func encoded() throws -> Data { try JSONCoding.encoder.encode(self) }

    public static func read(_ url: URL) throws -> RunRecord {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw HarnessError.missingRun(path: url.path) }
        do {
            let record = try JSONCoding.decoder.decode(RunRecord.self, from: data)
            guard record.schema == "bench.run", record.schemaVersion <= currentSchemaVersion else {
                throw HarnessError.badRunRecord(path: url.path, reason: "schema \(record.schema) version \(record.schemaVersion) is not understood")
            }
            return record
        } catch let error as HarnessError {
            throw error
        } catch {
            throw HarnessError.badRunRecord(path: url.path, reason: "\(error)")
        }
    }
}
