import ArgumentParser
import FileSupport
import Foundation
import Harness
import Models
import TensorCore

struct SpeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speed",
        abstract: "Time training steps (forward, backward, optimizer) and inference at fixed shapes on random input.",
        discussion: """
        After --warmup untimed steps, --steps steps are timed; reports the median and spread of ms/step, frames/s, \
        FLOPs per step (counted by the tensor core and from the model's own formula), the model's FLOPs per second \
        against this machine's sgemm rate (so exact rewrites and fast convolutions count as speed) and the executed \
        rate, and peak memory. Example: bench speed all --size small --batch 4 --frames 300
        """)

    @Argument(help: "A model name, or 'all'.")
    var name: String
    @Option(parsing: .unconditional, help: "Videos per step (default 4, or the model's limit per step when it is lower).") var batch: Int?
    @Option(parsing: .unconditional, help: "Frames per video.") var frames: Int = 300
    @Option(parsing: .unconditional, help: "Timed steps.") var steps: Int = 10
    @Option(parsing: .unconditional, help: "Untimed warm-up steps.") var warmup: Int = 2
    @Option(parsing: .unconditional, help: "Feature width of the random input.") var inputDim: Int = 1024
    @Option(help: "Model variant.") var variant: ModelVariant = .report
    @Option(help: "Model widths.") var size: ModelSize = .paper
    @Option(parsing: .unconditional, help: "Threads (default: this machine's cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Seed of the random input and the model.") var seed: UInt64 = 0
    @Option(name: .customLong("option"), help: "A model option key=value (repeatable), e.g. --option kernel=5.")
    var modelOptions: [String] = []
    @Flag(help: "Print JSON on stdout.") var json = false

    func validate() throws {
        try NumericOption.atLeast(batch, 1, "--batch")
        try NumericOption.atLeast(frames, 2, "--frames")
        try NumericOption.atLeast(steps, 1, "--steps")
        try NumericOption.atLeast(warmup, 0, "--warmup")
        try NumericOption.atLeast(inputDim, 1, "--input-dim")
        try ThreadLimit.check(threads)
        // The random input alone is batch x frames x input-dim floats; refuse what cannot be allocated
        // (the model's activations need several times more).
        let inputBytes = Double(batch ?? 4) * Double(frames) * Double(inputDim) * 4
        let limit = Double(ProcessInfo.processInfo.physicalMemory) / 2
        if inputBytes > limit {
            throw HarnessError.invalidArgument(String(format: "--batch x --frames x --input-dim needs %.1f GB of input alone, more than half this machine's memory (%.1f GB)",
                                         inputBytes / 1e9, limit / 1e9))
        }
    }

    func run() throws {
        let modelOptions = try ScheduleOverrideOptions.parseOptions(self.modelOptions)
        Threading.setCount(threads)
        let registry = ModelRegistry.standard
        let names = name == "all" ? registry.names : [name]
        guard !names.isEmpty else { throw ValidationError("no models are registered yet") }
        if let warning = MachineInfo.blasWarning { FileHandle.standardError.write(Data("WARNING: \(warning)\n".utf8)) }
        let peak = SgemmPeak.measure()
        var results: [SpeedResult] = []
        for model in names {
            // The model's own published training step, at the shape asked for.
            let plan = try RunPlan.resolve(RunPlan.Request(model: model, variant: variant, size: size, options: modelOptions,
                                                           seed: seed, threads: threads), dataPath: "", registry: registry)
            let built = try plan.makeModel(inputDim: inputDim)
            let perStep = batch ?? min(4, plan.entry.contract.maxBatchSize ?? 4)
            let options = SpeedOptions(batch: perStep, frames: frames, steps: steps, warmup: warmup, seed: seed)
            results.append(try SpeedBenchmark.run(built, schedule: plan.publishedSchedule, variant: variant.rawValue, size: size.rawValue,
                                                  options: options, sgemmPeakGflops: peak))
        }
        if json {
            printJSON(try JSONCoding.encoder.encode(results))
        } else {
            print(String(format: "sgemm peak (1024^3, %d threads, OpenBLAS core %@): %.1f GFLOP/s", threads, MachineInfo.blasCore, peak))
            print(SpeedBenchmark.table(results))
        }
    }
}
