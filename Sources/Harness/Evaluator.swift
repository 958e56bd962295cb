import FileSupport
import Evaluation
import Foundation
import Models
import TensorCore
import VideoData

/// A split's predictions, their metrics and what they cost.
public struct EvaluatedSplit {
    public var evaluation: SplitEvaluation
    public var videos: [Video]
    public var predictions: [[Float]]
    /// The frame-level keyshot summary per video (eccv16 data with user summaries; nil otherwise), in
    /// the order of `videos`: what the eccv16 F1 was computed from, written into predictions.h5.
    public var machineSummaries: [[Bool]]?
    public var seconds: Double
    public var frames: Int
}

/// Scores videos with a model in eval mode (its `frameScores`) and evaluates them (evaluation.md). One
/// evaluator serves validation every epoch, the test of the chosen epoch and `bench predict`, so the
/// three score a video the same way.
public struct Evaluator {
    public let dataset: any VideoDataset
    /// One video at a time by default: the models score a video the same in any batch (README "Padding"),
    /// and unbatched, a prediction is bit-identical to that video's own forward pass and costs no padding.
    public var batchSize: Int
    /// How eccv16 videos get F1 (set and reduction). Without it, eccv16 videos get no F1 (their shots
    /// are in original frames, not feature rows, so the MR.HiSum F1 does not apply).
    public var eccv16: ECCV16Protocol?
    /// The `annotators` rank-correlation protocol's targets (nil: tau and rho against gtscore).
    public var annotators: AnnotatorTargets?

    public init(dataset: any VideoDataset, batchSize: Int = 1, eccv16: ECCV16Protocol? = nil, annotators: AnnotatorTargets? = nil) {
        self.dataset = dataset
        self.batchSize = max(1, batchSize)
        self.eccv16 = eccv16
        self.annotators = annotators
    }

    /// The evaluator of a checked data set, with its eccv16 and rank-correlation protocols.
    public init(data: PreparedData) {
        self.init(dataset: data.dataset, eccv16: data.eccv16, annotators: data.annotators)
    }

    /// Predictions per video key, in the order of `keys`, and the seconds spent scoring.
    ///
    /// The batches are scored `Threading.count` at a time, each on one thread with single-threaded ops
    /// (`Threading.concurrentItems`): a small-width video's products are too small for two threads to
    /// share one well (LoGoNet: 3.7 ms per 130-frame video on 2 threads, 4.5 ms on one, so two at once
    /// give 2.25 ms each). A video's scores are the same bits on any thread and at any thread count.
    public func predict(_ model: any SummaryModel, keys: [String]) throws -> (videos: [Video], predictions: [[Float]], seconds: Double, frames: Int) {
        model.eval()
        defer { model.train() }
        // Training targets (the keyshot summary) are never handed to a model that is being scored.
        let needs = model.contract.needs.subtracting(.keyshotSummary)
        let perStep = min(batchSize, model.contract.maxBatchSize ?? batchSize)
        // Length-sorted batches waste little on padding; the order of `keys` is restored below.
        let loader = try BatchLoader(dataset: dataset, keys: keys, batchSize: perStep, shuffle: false, bucketByLength: true)
        let videoBatches = try loader.plan(epoch: 0).map { batchKeys in try batchKeys.map { try dataset.video($0) } }
        // Longest first: a free thread takes the next batch, so the last one to finish is a short one.
        let frameCounts = videoBatches.map { $0.reduce(0) { $0 + $1.length } }
        let order = videoBatches.indices.sorted { frameCounts[$0] > frameCounts[$1] }
        // Each batch is laid out inside its item, so only the batches being scored hold a copy of their features.
        let layout = model.contract.layout
        let start = DispatchTime.now().uptimeNanoseconds
        // One scoring pass: each weight is packed once for every video (`WeightPanels`).
        let scored = try GradMode.withNoGrad {
            try WeightPanels.scoring {
                try Threading.concurrentMap(order) { b -> (scores: [Float], rows: [Range<Int>]) in
                    let batch = try ModelBatch(videos: videoBatches[b], needs: needs, layout: layout)
                    return (model.frameScores(batch).values, videoBatches[b].indices.map { batch.rows(of: $0) })
                }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var byKey: [String: (Video, [Float])] = [:]
        var frames = 0
        for (b, (scores, rows)) in zip(order, scored) {
            for (i, video) in videoBatches[b].enumerated() {
                byKey[video.key] = (video, Array(scores[rows[i]]))
                frames += video.length
            }
        }
        let ordered = keys.map { byKey[$0]! }
        return (ordered.map(\.0), ordered.map(\.1), seconds, frames)
    }

    /// All metrics of evaluation.md for `keys`.
    public func evaluate(_ model: any SummaryModel, keys: [String]) throws -> EvaluatedSplit {
        let result = try predict(model, keys: keys)
        // F1 of a split is over all its videos or not at all: a mean over the videos that happen to carry a
        // gt_summary would silently change with the data, so one missing summary makes F1 unavailable
        // (null, every video counted as skipped; the data check recorded a warning saying so).
        let everySummary = result.videos.allSatisfy { $0.gtSummary != nil }
        let inputs = zip(result.videos, result.predictions).map { video, prediction in
            Evaluator.evaluationInput(video: video, prediction: prediction, layout: dataset.layout, withSummary: everySummary)
        }
        // The videos' metrics (rank correlations, knapsack F1, mAP) cost about what a small model's scoring
        // does, so they are spread over the threads the same way.
        var evaluation = try SplitEvaluation(evaluating: inputs, perform: Threading.concurrentItems)
        if let annotators {
            // The same videos and values as the validation that chose the epoch: selection follows the protocol.
            for (i, prediction) in result.predictions.enumerated() {
                evaluation.videos[i] = annotators.applied(to: evaluation.videos[i], stepScores: prediction.map(Double.init))
            }
            evaluation.kendallTau = MetricSummary(evaluation.videos.map(\.kendallTau))
            evaluation.spearmanRho = MetricSummary(evaluation.videos.map(\.spearmanRho))
        }
        var machineSummaries: [[Bool]]?
        if dataset.layout == .eccv16 {
            // mAP@50 / mAP@15 are MR.HiSum's (evaluation.md): not reported for the eccv16 sets.
            for i in evaluation.videos.indices {
                evaluation.videos[i].map50 = nil
                evaluation.videos[i].map15 = nil
            }
            evaluation.map50 = MetricSummary(evaluation.videos.map(\.map50))
            evaluation.map15 = MetricSummary(evaluation.videos.map(\.map15))
            // As for MR.HiSum, F1 is over all videos or none: one video without user summaries makes it
            // unavailable rather than a mean over a data-dependent subset.
            if let eccv16, result.videos.allSatisfy({ !($0.userSummaries?.isEmpty ?? true) }) {
                var summaries: [[Bool]] = []
                for (i, (video, prediction)) in zip(result.videos, result.predictions).enumerated() {
                    let (summary, f1) = try Evaluator.eccv16Scored(video: video, prediction: prediction.map(Double.init), protocol: eccv16)
                    summaries.append(summary)
                    evaluation.videos[i].f1 = f1.value
                }
                evaluation.f1 = MetricSummary(evaluation.videos.map(\.f1))
                machineSummaries = summaries
            }
        }
        return EvaluatedSplit(evaluation: evaluation, videos: result.videos, predictions: result.predictions,
                              machineSummaries: machineSummaries, seconds: result.seconds, frames: result.frames)
    }

    /// One eccv16 video's machine summary (its step scores spread to frames, shots scored, 15% knapsack
    /// on the shot lengths, which the reader checked equal to n_frame_per_seg) and its F1 against every
    /// user summary, reduced as the protocol says.
    static func eccv16Scored(video: Video, prediction: [Double], protocol eccv16: ECCV16Protocol) throws -> (summary: [Bool], f1: UserF1) {
        let summary = try eccv16KeyshotSummary(stepScores: prediction, picks: video.picks, shots: video.changePoints,
                                               frameCount: video.frameCount, proportion: eccv16.summaryProportion, video: video.key)
        let users = (video.userSummaries ?? []).map { $0.map { $0 == 1 } }
        let f1 = try Evaluation.eccv16F1(machine: summary, userSummaries: users, reduction: eccv16.f1Reduction, video: video.key)
        return (summary, f1)
    }

    /// MR.HiSum videos carry shots and a keyshot summary in feature-row units, so they get F1; eccv16
    /// shots are in original frames (F1 there needs the user summaries), so those get none.
    static func evaluationInput<P: BinaryFloatingPoint>(video: Video, prediction: [P], layout: DatasetLayout,
                                                        withSummary: Bool = true) -> VideoEvaluationInput {
        guard layout == .mrHiSum else {
            return VideoEvaluationInput(name: video.key, prediction: prediction, gtscore: video.gtscore, shots: [])
        }
        return VideoEvaluationInput(name: video.key, prediction: prediction, gtscore: video.gtscore, shots: video.changePoints,
                                    gtSummary: withSummary ? video.gtSummary.map { $0.map(Double.init) } : nil)
    }

    /// Writes `predictions.h5` for evaluated videos (a new file; never replaces one).
    public static func writePredictions(_ split: EvaluatedSplit, to url: URL) throws {
        let writer = try PredictionsWriter(destination: url)
        do {
            for (i, (video, prediction)) in zip(split.videos, split.predictions).enumerated() {
                try writer.write(key: video.key, pred: prediction, gtscore: video.gtscore, machineSummary: split.machineSummaries?[i])
            }
            try writer.commit()
        } catch let error as DataError {
            writer.abandon()
            // The HDF5 library's error stack (a full disk included) is its own words; say what failed first.
            if case .hdf5(let hdf5) = error {
                throw FileWriteError(path: url.path, reason: "the HDF5 library failed to \(hdf5.operation) (disk full or not writable?): "
                                     + (hdf5.stack.last ?? "no detail"))
            }
            throw error
        } catch {
            writer.abandon()
            throw error
        }
    }
}
