import Evaluation
import Foundation
import Randomness
import VideoData

/// How eccv16 (TVSum / SumMe) videos get their F1 (evaluation.md "TVSum and SumMe"): which set the file
/// is, and so how the per-user F1 values of a video are reduced. Resolved once, before anything is
/// written, and recorded in run.json.
public struct ECCV16Protocol: Codable, Sendable, Equatable {
    /// nil when the file's set is not known but `--f1-reduction` was given (the reduction is all F1 needs).
    public var dataset: ECCV16Set?
    /// "--dataset" or "file name" (or "not known" with `dataset` nil).
    public var datasetFrom: String
    public var f1Reduction: F1Reduction
    /// "--f1-reduction" or "the set's convention".
    public var f1ReductionFrom: String
    /// The knapsack budget as a fraction of n_frames.
    public var summaryProportion: Double

    /// An explicit `--dataset` wins, else the file name; an explicit `--f1-reduction` wins over the set's
    /// own. A file whose name holds neither (or both) set names is an error naming the file, unless
    /// `--dataset` or `--f1-reduction` says what to do.
    public static func resolve(dataFile: URL, dataset: ECCV16Set?, f1Reduction: F1Reduction?) throws -> ECCV16Protocol {
        let set: ECCV16Set?
        do {
            set = try ECCV16Set.resolve(explicit: dataset, fileName: dataFile.path)
        } catch {
            guard f1Reduction != nil else { throw error }
            set = nil
        }
        let reduction = try ECCV16Set.reduction(explicit: f1Reduction, set: set, fileName: dataFile.path)
        return ECCV16Protocol(dataset: set, datasetFrom: dataset != nil ? "--dataset" : (set != nil ? "file name" : "not known"),
                              f1Reduction: reduction,
                              f1ReductionFrom: f1Reduction != nil ? "--f1-reduction" : "the set's convention",
                              summaryProportion: 0.15)
    }
}

/// Which videos choose the tested epoch.
public enum ModelSelection: String, Codable, Sendable, CaseIterable {
    /// The honest default: the split's validation videos, or, when it has none (the eccv16 folds), a
    /// seeded 20% of the fold's train keys held out for validation.
    case val
    /// As the published TVSum/SumMe codes do: the epoch is chosen on the test fold itself, which makes
    /// the test numbers optimistic. Every place that shows such a result says so.
    case test

    public static let optimisticLabel = "selected on test (optimistic)"
}

/// How a run chose its epoch and on which videos, as run.json records it (`selection`).
public struct SelectionInfo: Codable, Sendable, Equatable {
    public var selection: ModelSelection
    /// "split file" (its val keys), "carved from the train keys" or "the test fold".
    public var validationFrom: String
    /// The videos the epoch was chosen on; nil when they are the split file's own val keys (MR.HiSum's
    /// 2,000 would otherwise be copied into every record).
    public var validationKeys: [String]?
    /// The seed of the shuffle that carved the validation keys (only when carved).
    public var carveSeed: UInt64?
    /// `ModelSelection.optimisticLabel` when the epoch was chosen on the test fold.
    public var note: String?

    /// The fraction of a fold's train keys carved for validation, and the least number of videos.
    public static let carveFraction = 0.2
    public static let carveMinimum = 2

    /// The split a run trains and selects on, and what it records. `val` keeps a split that has val keys
    /// unchanged (MR.HiSum runs are exactly as before); without them, `carveCount` of the train keys,
    /// chosen by a shuffle seeded with the run seed and fold, become the val keys (the same for every
    /// model of a seed, so models are compared on the same validation videos). `test` makes the test
    /// keys the val keys and trains on all train keys.
    public static func apply(_ selection: ModelSelection, to split: DatasetSplit, seed: UInt64, fold: Int,
                             file: String) throws -> (split: DatasetSplit, info: SelectionInfo) {
        switch selection {
        case .test:
            return (DatasetSplit(train: split.train, val: split.test, test: split.test),
                    SelectionInfo(selection: .test, validationFrom: "the test fold", validationKeys: split.test, carveSeed: nil,
                                  note: ModelSelection.optimisticLabel))
        case .val:
            if !split.val.isEmpty {
                return (split, SelectionInfo(selection: .val, validationFrom: "split file", validationKeys: nil, carveSeed: nil, note: nil))
            }
            let count = carveCount(trainCount: split.train.count)
            // At least one video must remain to train on.
            guard count < split.train.count else {
                throw HarnessError.invalidArgument("\(file): fold \(fold) has \(split.train.count) train videos, too few to hold out "
                    + "\(count) for validation (--selection val needs at least \(count + 1)); use a split with val_keys or --selection test")
            }
            let carveSeed = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(fold) &+ 0x5E1E_C710
            var generator = SeededGenerator(seed: carveSeed)
            let chosen = Set(split.train.shuffled(using: &generator).prefix(count))
            // Keys keep the file's order in both parts, so the record reads like the split file.
            let val = split.train.filter { chosen.contains($0) }
            let train = split.train.filter { !chosen.contains($0) }
            return (DatasetSplit(train: train, val: val, test: split.test),
                    SelectionInfo(selection: .val, validationFrom: "carved from the train keys (\(Int(carveFraction * 100))%, at least \(carveMinimum))",
                                  validationKeys: val, carveSeed: carveSeed, note: nil))
        }
    }

    /// 20% of the train keys rounded to the nearest video, at least 2.
    public static func carveCount(trainCount: Int) -> Int {
        max(carveMinimum, Int((Double(trainCount) * carveFraction).rounded()))
    }
}

/// A data set seen through another split (the same videos, cache included): a fold of a 5-split file, or
/// a split whose validation keys were carved from its train keys.
public final class SplitView: VideoDataset {
    public let base: any VideoDataset
    public let split: DatasetSplit

    public init(_ base: any VideoDataset, split: DatasetSplit) {
        self.base = (base as? SplitView)?.base ?? base
        self.split = split
    }

    public var fileURL: URL { base.fileURL }
    public var layout: DatasetLayout { base.layout }
    public var featureWidth: Int { base.featureWidth }
    public func length(of key: String) throws -> Int { try base.length(of: key) }
    public func video(_ key: String) throws -> Video { try base.video(key) }
}
