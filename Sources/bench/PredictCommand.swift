import ArgumentParser
import FileSupport
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
        A checkpoint of this project records its model, variant, size and options, and the model is rebuilt from \
        it alone (bench predict --checkpoint FILE); a name or --variant/--size/--option that contradict it are an \
        error. A PyTorch-exported .safetensors with the reference implementation's key names records none: name the \
        model and give --variant, --size and --option as it was trained (default report, paper width).
        """)

    @Argument(help: "The model's registry name (optional for this project's checkpoints).")
    var name: String?
    @Option(help: "The checkpoint (.safetensors or .safetensors.zst).")
    var checkpoint: String
    @Option(help: "Which split to predict: train, val or test.")
    var part: DatasetSplit.Part = .test
    @Option(help: "Where to write the predictions (must not exist).")
    var output: String = "predictions.h5"
    @Option(help: "Model variant (default: the checkpoint's record, else report).")
    var variant: ModelVariant?
    @Option(help: "Model widths (default: the checkpoint's record, else paper).")
    var size: ModelSize?
    @Option(name: .customLong("option"), help: "A model option key=value (repeatable), for checkpoints that record none.")
    var modelOptions: [String] = []
    @Option(parsing: .unconditional, help: "Threads (default: this machine's cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @OptionGroup var data: DataOptions
    @Flag(help: "Print the metrics as JSON on stdout.")
    var json = false

    func validate() throws {
        try ThreadLimit.check(threads)
    }

    func run() throws {
        let progress = ProgressReporter()
        Threading.setCount(threads)
        let prepared = try PreparedData.open(try data.source(progress: progress), expectedFeatureWidth: nil)
        for warning in prepared.warnings { progress.log("WARNING: " + warning) }
        let choice = CheckpointPrediction.ModelChoice(name: name, variant: variant, size: size,
                                                      options: try ScheduleOverrideOptions.parseOptions(modelOptions))
        let (model, identity) = try CheckpointPrediction.model(for: URL(fileURLWithPath: checkpoint), choice: choice,
                                                               inputDim: prepared.info.featureWidth,
                                                               warn: { progress.log("WARNING: " + $0) })
        let evaluation = try CheckpointPrediction.run(model: model, data: prepared, part: part, output: URL(fileURLWithPath: output))
        if json {
            printJSON(try JSONCoding.encoder.encode(evaluation))
        } else {
            func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
            print("\(identity.model) (\(identity.variant.rawValue), \(identity.size.rawValue)) on \(part.rawValue) "
                  + "(\(evaluation.videos.count) videos): mse \(f(evaluation.mse)) tau \(f(evaluation.kendallTau.mean)) "
                  + "rho \(f(evaluation.spearmanRho.mean)) f1 \(f(evaluation.f1.mean)) mAP50 \(f(evaluation.map50.mean)) mAP15 \(f(evaluation.map15.mean))")
            print("predictions written to \(output)")
        }
    }
}
