import Foundation
import Models
import TensorCore

/// Everything one run will do, resolved and validated once, before any data is read or any file is
/// written: which model (name, variant, size, options with defaults filled in), the schedule (published,
/// overrides, used), seed and threads. `ModelRun` executes a plan; `BenchSession` makes one per model.
public struct RunPlan: Sendable {
    public let model: String
    public let variant: ModelVariant
    public let size: ModelSize
    /// Every option of the variant, defaults included, in canonical spelling.
    public let options: [String: String]
    public let entry: VariantEntry
    public let publishedSchedule: TrainingSchedule
    public let schedule: TrainingSchedule
    public let overrides: [ScheduleOverride]
    public let seed: UInt64
    public let threads: Int

    /// What a user asks for; `resolve` turns it into a plan or says what is wrong.
    public struct Request: Sendable {
        public var model: String
        public var variant: ModelVariant = .report
        public var size: ModelSize = .small
        public var options: [String: String] = [:]
        public var overrides = ScheduleOverrides()
        public var seed: UInt64 = 0
        public var threads: Int = 1

        public init(model: String, variant: ModelVariant = .report, size: ModelSize = .small, options: [String: String] = [:],
                    overrides: ScheduleOverrides = .init(), seed: UInt64 = 0, threads: Int = 1) {
            self.model = model
            self.variant = variant
            self.size = size
            self.options = options
            self.overrides = overrides
            self.seed = seed
            self.threads = threads
        }
    }

    /// Resolves a request against a registry for data at `dataPath` (which picks data-dependent schedules).
    public static func resolve(_ request: Request, dataPath: String, registry: ModelRegistry = .standard) throws -> RunPlan {
        try ThreadLimit.check(request.threads)
        let entry = try registry.variant(request.model, request.variant)
        let options = try entry.resolveOptions(request.options, model: request.model)
        let published = entry.schedule(ScheduleContext(options: options, dataPath: dataPath))
        let (used, overrides) = request.overrides.apply(to: published)
        try used.validate()
        if let limit = entry.contract.maxBatchSize, used.batchSize > limit {
            throw ModelError.batchTooLarge(model: request.model, limit: limit, requested: used.batchSize)
        }
        return RunPlan(model: request.model, variant: request.variant, size: request.size, options: options, entry: entry,
                       publishedSchedule: published, schedule: used, overrides: overrides, seed: request.seed,
                       threads: request.threads)
    }

    /// The spec the model is built from, for data of `inputDim` features per frame.
    public func spec(inputDim: Int) -> ModelSpec {
        ModelSpec(name: model, variant: variant, size: size, inputDim: inputDim, dropout: Float(schedule.dropout), seed: seed,
                  options: options)
    }

    /// Builds the model; its contract must be the one its registry entry declared.
    public func makeModel(inputDim: Int) throws -> any SummaryModel {
        // A zero or negative width would reach a reshape deep inside the model and trap.
        guard inputDim >= 1 else { throw HarnessError.invalidArgument("the input width must be at least 1, got \(inputDim)") }
        let model = try entry.make(spec(inputDim: inputDim))
        guard model.contract == entry.contract else {
            throw ModelError.inconsistentEntry(model: self.model, problem: "the built model's training contract differs from its registry entry's")
        }
        return model
    }
}

/// The sane range of `--threads`: 1 to 4 x this machine's cores (at most 256). More threads than that
/// only contend for the cores, and each OpenBLAS thread takes its own buffers; the results depend on the
/// thread count, so a mistyped count would also make a run irreproducible for no gain.
public enum ThreadLimit {
    public static var maximum: Int { min(256, max(1, 4 * ProcessInfo.processInfo.activeProcessorCount)) }

    public static func check(_ threads: Int, option: String = "--threads") throws {
        guard threads >= 1 else { throw HarnessError.invalidArgument("\(option) must be at least 1, got \(threads)") }
        guard threads <= maximum else {
            throw HarnessError.invalidArgument("\(option) \(threads) is more than \(maximum) (4 x this machine's "
                + "\(ProcessInfo.processInfo.activeProcessorCount) cores, at most 256): more threads only contend for the cores")
        }
    }
}
