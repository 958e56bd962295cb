import Foundation
import Models
import TensorCore
import VideoData
@testable import Harness

/// A small model for the harness tests: Linear(F, hidden) -> ReLU -> dropout -> Linear(hidden, 1) ->
/// sigmoid per frame. Hooks let a test poison outputs with NaN or act at a given forward call.
final class TinyModel: SummaryModel {
    let name: String
    let inputDim: Int
    var isTraining = true
    let first: Linear
    let second: Linear
    let dropout: Float
    let random: RandomSource
    /// Forward calls (training and evaluation) so far, from 1.
    /// Forward calls in training mode (evaluation calls, one per video, are not counted).
    var trainingCalls = 0
    /// Training forward calls whose output is replaced by NaN.
    var nanOnTrainingCalls: Set<Int> = []
    /// Called with the training call's number before each training forward.
    var onForward: ((Int) -> Void)?

    /// `l1`: a non-MSE objective (masked mean absolute error) taking one video per step, to show the
    /// harness trains any model's own loss under its own batch limit.
    let l1: Bool

    init(spec: ModelSpec, hidden: Int = 8, l1: Bool = false) {
        self.l1 = l1
        name = spec.name
        inputDim = spec.inputDim
        let rng = RandomSource(seed: spec.seed)
        first = Linear(spec.inputDim, hidden, rng: rng)
        second = Linear(hidden, 1, rng: rng)
        dropout = spec.dropout
        random = rng.split()
    }

    var children: [(String, any Module)] { [("first", first), ("second", second)] }

    func callAsFunction(_ features: Tensor, mask: Tensor) -> Tensor {
        if isTraining {
            trainingCalls += 1
            onForward?(trainingCalls)
        }
        let b = features.shape[0], t = features.shape[1]
        let hidden = first(features).relu().dropout(dropout, training: isTraining, rng: random)
        var scores = second(hidden).reshaped([b, t]).sigmoid()
        if isTraining && nanOnTrainingCalls.contains(trainingCalls) { scores = scores * Float.nan }
        return scores
    }

    func forwardFlopsPerFrame(length: Int) -> Double {
        Double(2 * inputDim * first.weight.shape[0] + 2 * first.weight.shape[0])
    }

    var configuration: [String: String] { ["hidden": "\(first.weight.shape[0])"] }

    static let l1Contract = TrainingContract(maxBatchSize: 1, loss: LossKind(rawValue: "masked_l1"))
    var contract: TrainingContract { l1 ? Self.l1Contract : .paddedMSE }

    /// Masked mean |score - gtscore| over real frames; its gradient is sign(score - gtscore).
    func trainingLoss(_ batch: ModelBatch) -> Tensor {
        guard l1 else { return maskedMSELoss(batch) }
        let d = (self(batch.features, mask: batch.mask) - batch.gtscore) * batch.mask
        return (d.relu() + (d * -1).relu()).sum() * (1 / Float(batch.realFrames))
    }
}

/// Lets a test's non-Sendable hook ride in a registry's `@Sendable` builder; the suites that use it run
/// serialized, so the hook is never called from two threads at once.
struct UncheckedBox<T>: @unchecked Sendable { let value: T }

enum TestData {
    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("harness-tests-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static var smallConfig: SyntheticConfig {
        var config = SyntheticConfig()
        config.seed = 7
        config.trainCount = 24
        config.valCount = 8
        config.testCount = 8
        config.minLength = 20
        config.maxLength = 40
        config.featureWidth = 16
        config.latentDimension = 8
        config.themeCount = 3
        config.shotLength = 3...8
        return config
    }

    /// A small synthetic MR.HiSum-layout set in a new temporary folder.
    static func synthetic(_ label: String, config: SyntheticConfig = smallConfig) throws -> DataSource {
        let directory = try temporaryDirectory(label).appendingPathComponent("data")
        let summary = try SyntheticMRHiSum.generate(config, to: directory)
        return DataSource(dataFile: summary.dataFile, splitFile: summary.splitFile, synthetic: true)
    }

    /// A schedule quick enough for tests.
    static func schedule(epochs: Int = 4, batch: Int = 4, accumulation: Int = 1, lr: Double = 1e-2, patience: Int = 10) -> TrainingSchedule {
        TrainingSchedule(batchSize: batch, gradientAccumulation: accumulation, epochs: epochs, optimizer: .adam, weightDecay: 0,
                         peakLearningRate: lr, learningRateShape: .warmupCosine(warmupEpochs: 1, minLearningRate: 1e-7), gradientClip: 1.0,
                         dropout: 0.1, earlyStoppingPatience: patience)
    }

    /// A registry of tiny models on the quick schedule: "tiny" and "tiny2" (masked MSE, batches of 4) and
    /// "tiny-l1" (masked L1, one video per step). `built` sees every model as it is built.
    static func registry(epochs: Int = 3, built: @escaping (TinyModel) -> Void = { _ in }) -> ModelRegistry {
        let hook = UncheckedBox(value: built)
        func entry(_ name: String, l1: Bool = false) -> ModelEntry {
            var published = schedule(epochs: epochs, batch: l1 ? 1 : 4)
            if l1 { published.loss = TinyModel.l1Contract.loss }
            let quick = published
            let variant = VariantEntry(.report, contract: l1 ? TinyModel.l1Contract : .paddedMSE, deviations: ["a test model"],
                                       schedule: { _ in quick },
                                       make: { spec in
                                           let model = TinyModel(spec: spec, l1: l1)
                                           hook.value(model)
                                           return model
                                       })
            return ModelEntry(name: name, summary: "test model", variants: [variant])
        }
        do {
            return try ModelRegistry([entry("tiny"), entry("tiny2"), entry("tiny-l1", l1: true)])
        } catch {
            fatalError("test registry: \(error)")
        }
    }

    static func tinyModel(seed: UInt64 = 1, width: Int = 16, dropout: Float = 0.1) -> TinyModel {
        TinyModel(spec: ModelSpec(name: "tiny", inputDim: width, dropout: dropout, seed: seed))
    }
}
