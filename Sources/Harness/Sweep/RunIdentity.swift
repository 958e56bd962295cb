import Evaluation
import Foundation
import Models

/// What makes a finished run the run a sweep task asks for: the model (name, variant, size, every
/// option), the schedule that ran, the seed and thread count (results depend on both), the data's
/// content hash, the fold, how the epoch was chosen, the eccv16 F1 reduction and what tau and rho are
/// computed against. A task whose folder holds a completed run of
/// the same identity is skipped when the sweep is run or submitted again.
public struct RunIdentity: Equatable, Sendable {
    public var model: String
    public var variant: String
    public var size: String
    public var options: [String: String]
    public var schedule: TrainingSchedule
    public var seed: UInt64
    public var threads: Int
    public var dataHash: String
    public var splitIndex: Int
    /// The number of folds when the run is one fold of a `--splits` protocol (nil for a single split).
    public var folds: Int?
    public var selection: String
    /// The eccv16 F1 reduction over users (nil for MR.HiSum).
    public var f1Reduction: String?
    public var correlation: String

    public init(plan: RunPlan, data: PreparedData) {
        self.init(plan: plan, data: data.info, folds: data.folds, selection: data.selection?.selection ?? .val,
                  f1Reduction: data.eccv16?.f1Reduction, correlation: data.source.correlation)
    }

    public init(plan: RunPlan, data: DataInfo, folds: Int?, selection: ModelSelection, f1Reduction: F1Reduction?,
                correlation: CorrelationProtocol) {
        model = plan.model
        variant = plan.variant.rawValue
        size = plan.size.rawValue
        options = plan.options
        schedule = plan.schedule
        seed = plan.seed
        threads = plan.threads
        dataHash = data.contentHash
        splitIndex = data.splitIndex
        self.folds = folds
        self.selection = selection.rawValue
        self.f1Reduction = f1Reduction?.rawValue
        self.correlation = correlation.rawValue
    }

    public init(record: RunRecord) {
        model = record.model.name
        variant = record.model.variant
        size = record.model.size
        options = record.model.options ?? [:]
        schedule = record.schedule
        seed = record.seed
        threads = record.threads
        dataHash = record.data.contentHash
        splitIndex = record.data.splitIndex
        folds = record.evaluationProtocol?.folds
        selection = record.evaluationProtocol?.selection?.selection.rawValue ?? ModelSelection.val.rawValue
        f1Reduction = record.evaluationProtocol?.eccv16?.f1Reduction.rawValue
        correlation = record.correlationProtocol.rawValue
    }

    /// What differs between the run `other` recorded and this one, in words ("seed 1, asked 2").
    public func differences(from other: RunIdentity) -> [String] {
        var out: [String] = []
        func compare<T: Equatable>(_ name: String, _ recorded: T, _ asked: T, _ text: (T) -> String) {
            if recorded != asked { out.append("\(name) \(text(recorded)), asked \(text(asked))") }
        }
        compare("model", other.model, model) { $0 }
        compare("variant", other.variant, variant) { $0 }
        compare("size", other.size, size) { $0 }
        compare("options", other.options, options) { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") }
        if other.schedule != schedule {
            let recorded = Set(other.schedule.lines), asked = Set(schedule.lines)
            let changed = schedule.lines.filter { !recorded.contains($0) }
            out.append("schedule: recorded " + other.schedule.lines.filter { !asked.contains($0) }.joined(separator: "; ")
                       + ", asked " + changed.joined(separator: "; "))
        }
        compare("seed", other.seed, seed) { "\($0)" }
        compare("threads", other.threads, threads) { "\($0)" }
        compare("data (content hash)", other.dataHash, dataHash) { $0 }
        compare("split index", other.splitIndex, splitIndex) { "\($0)" }
        compare("folds", other.folds, folds) { $0.map { "\($0)" } ?? "none" }
        compare("selection", other.selection, selection) { $0 }
        compare("F1 reduction", other.f1Reduction, f1Reduction) { $0 ?? "none" }
        compare("correlation", other.correlation, correlation) { $0 }
        return out
    }
}
