import Evaluation
import Foundation
import Models
import TensorCore
import VideoData

/// `bench predict`: a checkpoint (this project's, or a PyTorch-exported safetensors file with the
/// reference's key names; `.zst` compressed or plain) loaded into a model and run over one split.
public enum CheckpointPrediction {
    /// Loads the checkpoint, predicts `part` of the data, writes `predictions.h5` to `output` (which must
    /// not exist) and returns the metrics.
    public static func run(model: any SummaryModel, checkpoint: URL, data: PreparedData, part: DatasetSplit.Part,
                           output: URL, batchSize: Int = 16) throws -> SplitEvaluation {
        guard FileManager.default.fileExists(atPath: checkpoint.path) else {
            throw HarnessError.invalidArgument("\(checkpoint.path): no such checkpoint file")
        }
        do { try model.loadCheckpoint(from: checkpoint) } catch {
            throw HarnessError.invalidArgument("\(checkpoint.path): cannot load into \(model.name): \(error)")
        }
        let keys = data.dataset.split.keys(part)
        guard !keys.isEmpty else { throw HarnessError.emptySplit(part: part.rawValue, dataset: data.source.dataFile.path) }
        let result = try SplitPredictor(batchSize: batchSize).evaluate(model, dataset: data.dataset, keys: keys)
        let writer = try PredictionsWriter(destination: output)
        do {
            for (video, prediction) in zip(result.videos, result.predictions) {
                try writer.write(key: video.key, pred: prediction, gtscore: video.gtscore)
            }
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
        return result.evaluation
    }
}

/// `bench report`: several runs (folders of `bench all` or `bench model`, from any machines or seeds)
/// merged into one comparison.
public enum RunMerge {
    public static func merge(_ folders: [URL]) throws -> Summary {
        guard !folders.isEmpty else { throw HarnessError.invalidArgument("bench report needs at least one run folder") }
        var merged = Summary(records: [], runIds: [])
        for folder in folders {
            let summary = try Summary.load(resultsFolder: folder)
            merged.runIds += summary.runIds
            merged.rows += summary.rows
            for d in summary.datasets where !merged.datasets.contains(where: { $0.contentHash == d.contentHash }) {
                merged.datasets.append(d)
            }
        }
        return merged
    }
}
