import Evaluation
import Foundation
import Models
import TensorCore
import VideoData

/// `bench predict`: a checkpoint (this project's, or a PyTorch-exported safetensors file with the
/// reference's key names; `.zst` compressed or plain) loaded into the model it was trained as and run
/// over one split with the same evaluator a run uses, so a run's own predictions come out bit for bit.
public enum CheckpointPrediction {
    /// What the user said about the model; anything said must agree with what the checkpoint records.
    public struct ModelChoice {
        public var name: String?
        public var variant: ModelVariant?
        public var size: ModelSize?
        public var options: [String: String]

        public init(name: String? = nil, variant: ModelVariant? = nil, size: ModelSize? = nil, options: [String: String] = [:]) {
            self.name = name
            self.variant = variant
            self.size = size
            self.options = options
        }
    }

    /// The model a checkpoint holds: rebuilt from its recorded identity (model, variant, size, input width,
    /// options), or, for an export that records none, from `choice` (name required; report and paper
    /// width by default). A choice that contradicts the record is an error naming both.
    /// `warn` receives one line per legitimate oddity of the file (float64 or float16 tensors).
    public static func model(for checkpoint: URL, choice: ModelChoice, inputDim: Int, registry: ModelRegistry = .standard,
                             warn: (String) -> Void = { _ in }) throws
        -> (model: any SummaryModel, identity: CheckpointIdentity) {
        let file = checkpoint.path
        guard FileManager.default.fileExists(atPath: file) else { throw HarnessError.invalidArgument("\(file): no such checkpoint file") }
        let metadata = try SafeTensors.load(from: checkpoint).metadata
        let identity: CheckpointIdentity
        if let recorded = try CheckpointIdentity.read(metadata, file: file) {
            func contradiction(_ what: String, _ said: String, _ kept: String) -> HarnessError {
                .invalidArgument("\(file) holds a \(recorded.model) checkpoint with \(what) \(kept), not \(said) as requested")
            }
            if let name = choice.name, name != recorded.model {
                throw HarnessError.invalidArgument("\(file) holds a \(recorded.model) checkpoint (\(recorded.variant.rawValue), "
                                                   + "\(recorded.size.rawValue)), not a \(name) one")
            }
            if let v = choice.variant, v != recorded.variant { throw contradiction("variant", v.rawValue, recorded.variant.rawValue) }
            if let s = choice.size, s != recorded.size { throw contradiction("size", s.rawValue, recorded.size.rawValue) }
            for (key, value) in choice.options where recorded.options[key] != value {
                throw contradiction("option \(key) =", value, recorded.options[key] ?? "(unset)")
            }
            identity = recorded
        } else {
            guard let name = choice.name else {
                throw HarnessError.invalidArgument("\(file) records no model (a PyTorch export?): name the model, e.g. bench predict csta --checkpoint ...")
            }
            let entry = try registry.variant(name, choice.variant ?? .report)
            identity = CheckpointIdentity(model: name, variant: choice.variant ?? .report, size: choice.size ?? .paper, inputDim: inputDim,
                                          options: try entry.resolveOptions(choice.options, model: name))
        }
        guard identity.inputDim == inputDim else {
            throw HarnessError.invalidArgument("\(file): the model takes \(identity.inputDim) features per frame, the data has \(inputDim)")
        }
        let model = try identity.makeModel(registry: registry)
        do { _ = try model.loadCheckpoint(from: checkpoint, expectedModel: identity.model, warn: warn) } catch {
            throw HarnessError.invalidArgument("\(file): cannot load into \(identity.model): \(error)")
        }
        return (model, identity)
    }

    /// Predicts `part` of the data, writes `predictions.h5` to `output` (which must not exist) and
    /// returns the metrics.
    public static func run(model: any SummaryModel, data: PreparedData, part: DatasetSplit.Part, output: URL) throws -> SplitEvaluation {
        let keys = data.dataset.split.keys(part)
        guard !keys.isEmpty else { throw HarnessError.emptySplit(part: part.rawValue, dataset: data.source.dataFile.path) }
        let result = try Evaluator(data: data).evaluate(model, keys: keys)
        try Evaluator.writePredictions(result, to: output)
        return result.evaluation
    }
}

/// `bench report`: several runs (folders of `bench all` or `bench model`, from any machines or seeds)
/// merged into one comparison.
public enum RunMerge {
    /// Every run under `folders` (comparison folders, seed folders or single runs), each once: the same
    /// run reached twice (a folder given twice, or inside another one given) is an error, since it
    /// would count as two seeds.
    public static func merge(_ folders: [URL]) throws -> Summary {
        guard !folders.isEmpty else { throw HarnessError.invalidArgument("bench report needs at least one run folder") }
        var records: [RunRecord] = [], seen: [String: String] = [:], runIds: [String] = []
        for folder in folders {
            let found = try Summary.runRecords(in: folder)
            for record in found {
                // Run ids are folder names and can repeat across machines; the start time tells runs apart.
                let identity = "\(record.runId) \(record.model.name)/\(record.model.variant)/\(record.model.size) seed \(record.seed) "
                    + "split \(record.data.splitIndex) started \(record.started)"
                if let first = seen[identity] {
                    throw HarnessError.invalidArgument("run \(identity) is given twice (\(first) and \(folder.path)): each run may count once")
                }
                seen[identity] = folder.path
                records.append(record)
            }
            var seenHere: Set<String> = []
            runIds += found.map(\.runId).filter { seenHere.insert($0).inserted }
        }
        return try Summary(records: records, runIds: runIds)
    }

    /// `bench report` (and a local sweep's merge): the merged comparison written to a new
    /// `<root>/<date>-<time>-report/` folder.
    public static func report(_ folders: [URL], root: URL) throws -> (summary: Summary, folder: URL) {
        let merged = try merge(folders)
        let (_, folder) = try RunFolder.create(in: root, what: "report")
        try SummaryWriter.write(merged, to: folder)
        return (merged, folder)
    }
}
