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

    init(spec: ModelSpec, hidden: Int = 8) {
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
}

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

    static func tinyModel(seed: UInt64 = 1, width: Int = 16, dropout: Float = 0.1) -> TinyModel {
        TinyModel(spec: ModelSpec(name: "tiny", inputDim: width, dropout: dropout, seed: seed))
    }
}
