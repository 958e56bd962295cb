import Evaluation
import Foundation
import Models
import TensorCore
import VideoData

/// Runs a model in eval mode over a split's videos and evaluates them (evaluation.md).
public struct SplitPredictor {
    public var batchSize: Int

    public init(batchSize: Int) { self.batchSize = max(1, batchSize) }

    /// Predictions per video key, in the order of `keys`, and the seconds spent in forward passes.
    public func predict(_ model: any SummaryModel, dataset: any VideoDataset, keys: [String]) throws
        -> (videos: [Video], predictions: [[Float]], seconds: Double, frames: Int) {
        model.eval()
        defer { model.train() }
        // Length-sorted batches waste little on padding; the order of `keys` is restored below.
        let loader = try BatchLoader(dataset: dataset, keys: keys, batchSize: batchSize, shuffle: false, bucketByLength: true)
        var byKey: [String: (Video, [Float])] = [:]
        var seconds = 0.0, frames = 0
        for batchKeys in loader.plan(epoch: 0) {
            let videos = try batchKeys.map { try dataset.video($0) }
            let batch = VideoBatch(videos: videos)
            let start = DispatchTime.now().uptimeNanoseconds
            let scores = GradMode.withNoGrad {
                model(Tensor(batch.features, shape: [batch.count, batch.maxLength, batch.featureWidth]),
                      mask: Tensor(batch.mask, shape: [batch.count, batch.maxLength])).values
            }
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            for (b, video) in videos.enumerated() {
                let row = b * batch.maxLength
                byKey[video.key] = (video, Array(scores[row..<(row + video.length)]))
                frames += video.length
            }
        }
        let ordered = keys.map { byKey[$0]! }
        return (ordered.map(\.0), ordered.map(\.1), seconds, frames)
    }

    /// All metrics of evaluation.md for `keys`.
    public func evaluate(_ model: any SummaryModel, dataset: any VideoDataset, keys: [String]) throws
        -> (evaluation: SplitEvaluation, videos: [Video], predictions: [[Float]], seconds: Double, frames: Int) {
        let result = try predict(model, dataset: dataset, keys: keys)
        let inputs = zip(result.videos, result.predictions).map { video, prediction in
            SplitPredictor.evaluationInput(video: video, prediction: prediction, layout: dataset.layout)
        }
        return (try SplitEvaluation(evaluating: inputs), result.videos, result.predictions, result.seconds, result.frames)
    }

    /// MR.HiSum videos carry shots and a keyshot summary in feature-row units, so they get F1; eccv16
    /// shots are in original frames (F1 there needs the user summaries), so those get none.
    static func evaluationInput(video: Video, prediction: [Float], layout: DatasetLayout) -> VideoEvaluationInput {
        guard layout == .mrHiSum else {
            return VideoEvaluationInput(name: video.key, prediction: prediction, gtscore: video.gtscore, shots: [])
        }
        return VideoEvaluationInput(name: video.key, prediction: prediction, gtscore: video.gtscore,
                                    shots: video.changePoints.map { Shot(start: $0.start, end: $0.end) },
                                    gtSummary: video.gtSummary.map { $0.map(Double.init) })
    }
}
