import ArgumentParser
import Foundation
import Harness
import Models
import TensorCore
import VideoData

extension DatasetSplit.Part: ExpressibleByArgument {}

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Load a checkpoint and write per-video predictions (predictions.h5) for a split, with its metrics.",
        discussion: """
        The checkpoint may be this project's best.safetensors.zst or a PyTorch-exported .safetensors with the \
        reference implementation's key names. Use the same --variant and --size as the run that wrote it.
        """)

    @Argument(help: "The model's registry name.")
    var name: String
    @Option(help: "The checkpoint (.safetensors or .safetensors.zst).")
    var checkpoint: String
    @Option(help: "Which split to predict: train, val or test.")
    var part: DatasetSplit.Part = .test
    @Option(help: "Where to write the predictions (must not exist).")
    var output: String = "predictions.h5"
    @Option(help: "Model variant (default: the checkpoint's metadata, else report).")
    var variant: ModelVariant?
    @Option(help: "Model widths (default: the checkpoint's metadata, else paper).")
    var size: ModelSize?
    @Option(help: "Threads (default: this machine's cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @OptionGroup var data: DataOptions
    @Flag(help: "Print the metrics as JSON on stdout.")
    var json = false

    func run() throws {
        let progress = ProgressReporter()
        Threading.setCount(threads)
        let prepared = try PreparedData.open(try data.source(progress: progress), expectedFeatureWidth: nil)
        // This project's checkpoints record how the model was built; PyTorch exports do not.
        let metadata = (try? SafeTensors.load(from: URL(fileURLWithPath: checkpoint)).metadata) ?? [:]
        let variant = variant ?? metadata["variant"].flatMap(ModelVariant.init(rawValue:)) ?? .report
        let size = size ?? metadata["size"].flatMap(ModelSize.init(rawValue:)) ?? .paper
        let model = try ModelRegistry.make(ModelSpec(name: name, variant: variant, size: size, inputDim: prepared.info.featureWidth))
        let evaluation = try CheckpointPrediction.run(model: model, checkpoint: URL(fileURLWithPath: checkpoint), data: prepared,
                                                      part: part, output: URL(fileURLWithPath: output))
        if json {
            printJSON(try JSONEncoder.bench.encode(evaluation))
        } else {
            func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
            print("\(name) on \(part.rawValue) (\(evaluation.videos.count) videos): mse \(f(evaluation.mse)) tau \(f(evaluation.kendallTau.mean)) "
                  + "rho \(f(evaluation.spearmanRho.mean)) f1 \(f(evaluation.f1.mean)) mAP50 \(f(evaluation.map50.mean)) mAP15 \(f(evaluation.map15.mean))")
            print("predictions written to \(output)")
        }
    }
}
