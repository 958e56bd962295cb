import Foundation
import Testing
import TensorCore
import TestSupport
import Randomness
import VideoData
@testable import Models

/// Checks shared by the tests of the `report` variants of CSTA, VideoSAGE and EDSNet.
enum ReportModelChecks {
    /// The model configuration stored in a fixture's metadata, decoded with the Swift side's snake_case keys.
    static func config<C: Decodable>(_ type: C.Type, of fixture: ModelFixture) throws -> C {
        let json = try JSONSerialization.data(withJSONObject: fixture.config)
        return try JSONDecoder().decode(C.self, from: json)
    }

    /// Parity with a PyTorch fixture (tools/reference/make_model_fixtures.py): `build(dropout)` makes the
    /// model from the fixture's configuration with that dropout. Eval-mode scores within 1e-4; in train
    /// mode with dropout 0: scores, masked-MSE loss, every parameter's gradient (1e-3 relative per tensor)
    /// and the BatchNorm running statistics after the step.
    static func parity(_ fixture: ModelFixture, build: (Float) throws -> any SummaryModel,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let features = try fixture.tensor("input.features"), mask = try fixture.tensor("input.mask")
        let target = try fixture.tensor("input.target")

        let evalModel = try build(0.5)
        try evalModel.loadState(fixture.parameters)
        evalModel.eval()
        let scores = GradMode.withNoGrad { evalModel(features, mask: mask) }
        let expectedEval = try fixture.tensor("output.eval")
        #expect(scores.shape == expectedEval.shape, sourceLocation: sourceLocation)
        #expect(maxAbsDifference(scores.values, expectedEval.values) <= 1e-4, "eval scores", sourceLocation: sourceLocation)

        let model = try build(0)
        try model.loadState(fixture.parameters)
        model.train()
        let trainScores = model(features, mask: mask)
        let loss = Tensor.maskedMSE(trainScores, target, mask: mask)
        loss.backward()
        let expectedTrain = try fixture.tensor("output.train")
        #expect(maxAbsDifference(trainScores.values, expectedTrain.values) <= 1e-4, "train scores",
                sourceLocation: sourceLocation)
        let expectedLoss = try fixture.tensor("loss.train").values[0]
        #expect(abs(loss.item - expectedLoss) <= 1e-5 * Swift.max(1, abs(expectedLoss)), "loss \(loss.item) vs \(expectedLoss)",
                sourceLocation: sourceLocation)

        // Some gradients are zero in exact arithmetic (a convolution bias in front of a train-mode BatchNorm,
        // a bias under a softmax): the reference holds ~1e-16 there and float32 ~1e-10, so each tensor's
        // scale is floored at 1e-3 of the largest gradient of the model.
        let largest = try gradientKeysOf(fixture).map { try fixture.tensor("grad.\($0)").values.map(abs).max() ?? 0 }.max() ?? 0
        let floor = 1e-3 * largest
        #expect(Set(gradientKeysOf(fixture)) == Set(model.namedParameters().map(\.0)), "gradient keys", sourceLocation: sourceLocation)
        for (key, parameter) in model.namedParameters() {
            let expected = try fixture.tensor("grad.\(key)")
            guard let grad = parameter.grad else {
                Issue.record("no gradient for \(key)", sourceLocation: sourceLocation)
                continue
            }
            let scale = Swift.max(expected.values.map(abs).max() ?? 0, floor)
            let difference = maxAbsDifference(grad.values, expected.values) / scale
            #expect(difference <= 1e-3, "gradient of \(key): relative difference \(difference)", sourceLocation: sourceLocation)
        }
        for (key, buffer) in model.namedBuffers() {
            let expected = try fixture.tensor("after.\(key)")
            #expect(maxAbsDifference(buffer.values, expected.values) <= 1e-4, "\(key) after the train step",
                    sourceLocation: sourceLocation)
        }
    }

    static func gradientKeysOf(_ fixture: ModelFixture) -> [String] {
        fixture.tensors.keys.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) }
    }

    /// Random features (B, T, F) and a right-padded mask for the given lengths.
    static func batch(lengths: [Int], inputDim: Int, seed: UInt64) -> (features: Tensor, mask: Tensor) {
        let t = lengths.max() ?? 0
        var rng = SeededGenerator(seed: seed)
        let features = Tensor.normal([lengths.count, t, inputDim], rng: &rng)
        var mask = [Float](repeating: 0, count: lengths.count * t)
        for (b, n) in lengths.enumerated() { for i in 0..<n { mask[b * t + i] = 1 } }
        return (features, Tensor(mask, shape: [lengths.count, t]))
    }

    /// Video `index` of a batch alone: its first `length` frames, shape (1, length, F).
    static func video(_ features: Tensor, index: Int, length: Int) -> Tensor {
        GradMode.withNoGrad {
            features.slice(axis: 0, start: index, length: 1).slice(axis: 1, start: 0, length: length)
        }
    }

    /// Eval scores of each video in a batch against the video run alone (features already cut to its length).
    static func scoresAlone(_ model: any SummaryModel, _ features: Tensor, lengths: [Int]) -> [[Float]] {
        lengths.enumerated().map { b, n in
            let alone = video(features, index: b, length: n)
            return GradMode.withNoGrad { model(alone, mask: Tensor(repeating: 1, shape: [1, n])) }.values
        }
    }

    /// Scores of video b, first n frames, from a (B, T) batch result.
    static func row(_ scores: Tensor, _ b: Int, _ n: Int) -> [Float] {
        let t = scores.shape[1]
        return Array(scores.values[(b * t)..<(b * t + n)])
    }

    /// The matrix-product FLOPs of one eval forward pass, counted by the core, against the model's own
    /// analytic count: within 2 %.
    static func flopsAgree(_ model: any SummaryModel, lengths: [Int], sourceLocation: SourceLocation = #_sourceLocation) {
        let (features, mask) = batch(lengths: lengths, inputDim: model.inputDim, seed: 5)
        model.eval()
        let (_, measured) = Accounting.countingFlops { GradMode.withNoGrad { model(features, mask: mask) } }
        let frames = Double(features.shape[0] * features.shape[1])
        let analytic = model.forwardFlopsPerFrame(length: features.shape[1]) * frames
        #expect(measured > 0, sourceLocation: sourceLocation)
        #expect(abs(Double(measured) - analytic) <= 0.02 * analytic,
                "measured \(measured) FLOPs, analytic \(analytic)", sourceLocation: sourceLocation)
    }

    /// A few dozen Adam steps on a fixed batch whose target is a smooth function of the features (a
    /// sigmoid of a fixed random projection, spread over most of (0, 1)) must lower the training loss well below where it started.
    static func trainingLowersLoss(_ model: any SummaryModel, steps: Int = 40, lr: Float = 3e-3,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        let lengths = [12, 9, 12, 7]
        let (features, mask) = batch(lengths: lengths, inputDim: model.inputDim, seed: 11)
        var rng = SeededGenerator(seed: 12)
        let direction = Tensor.normal([model.inputDim, 1], std: 1 / Float(model.inputDim).squareRoot(), rng: &rng)
        let target = GradMode.withNoGrad {
            (features.matmul(direction) * 4).sigmoid().reshaped(mask.shape)
        }
        let optimizer = Adam(model.parameters(), lr: lr)
        model.train()
        var losses: [Float] = []
        for _ in 0..<steps {
            model.zeroGrad()
            let loss = Tensor.maskedMSE(model(features, mask: mask), target, mask: mask)
            loss.backward()
            optimizer.step()
            losses.append(loss.item)
        }
        let start = losses[0], end = losses.suffix(5).reduce(0, +) / 5
        #expect(losses.allSatisfy { $0.isFinite }, sourceLocation: sourceLocation)
        #expect(end < 0.5 * start, "loss \(start) -> \(end)", sourceLocation: sourceLocation)
    }

    /// Save, load into a fresh model of another seed, same eval scores and the same state.
    static func checkpointRoundTrip(_ model: any SummaryModel, fresh: any SummaryModel,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (features, mask) = batch(lengths: [8, 5], inputDim: model.inputDim, seed: 21)
        // One train-mode pass moves any BatchNorm running statistics off their defaults.
        model.train()
        _ = GradMode.withNoGrad { model(features, mask: mask) }
        model.eval()
        fresh.eval()
        let before = GradMode.withNoGrad { model(features, mask: mask) }.values
        #expect(GradMode.withNoGrad { fresh(features, mask: mask) }.values != before, sourceLocation: sourceLocation)

        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(model.name)-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.saveCheckpoint(to: url, metadata: ["model": model.name])
        let metadata = try fresh.loadCheckpoint(from: url)
        #expect(metadata["model"] == model.name, sourceLocation: sourceLocation)
        #expect(GradMode.withNoGrad { fresh(features, mask: mask) }.values == before, sourceLocation: sourceLocation)
        let saved = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1.values) })
        for (key, tensor) in fresh.stateDict() {
            #expect(mismatches(tensor.values, saved[key] ?? []).none, "state \(key)", sourceLocation: sourceLocation)
        }
    }

    /// Eval mode: every video of a padded batch scores exactly as it scores alone (cut to its own length),
    /// whatever its batch mates and the padding rows hold, and padded positions score zero where the model
    /// multiplies its scores by the mask (`paddedScoresAreZero`). A train-mode pass first moves the
    /// BatchNorm running statistics off their defaults, so BatchNorm is not the identity.
    /// A model whose contract asks for packed batches trains and scores on them exactly as on the padded
    /// batch of the same videos: with dropout on (packed rows draw the padded batch's masks), the same loss
    /// and the same gradient for every parameter over two steps of two models made alike, and each video's
    /// same scores in eval mode. `make` builds the model with dropout on.
    static func packedBatchTrainsAndScoresAsThePaddedOne(_ make: () -> any SummaryModel, inputDim: Int) throws {
        var random = SeededGenerator(seed: 5)
        let videos = [7, 1, 12, 3].enumerated().map { index, length in
            Video(key: "v\(index)", featureWidth: inputDim, features: (0..<(length * inputDim)).map { _ in random.uniform(-2, 2) },
                  gtscore: (0..<length).map { _ in random.uniform(0, 1) }, changePoints: [])
        }
        let onPadded = make(), onPacked = make()
        #expect(onPacked.contract.layout == .packed)
        let padded = try ModelBatch(videos: videos, layout: .padded), packed = try ModelBatch(videos: videos, layout: .packed)
        #expect(padded.features.shape == [4, 12, inputDim] && packed.features.shape == [1, 23, inputDim])
        func lossAndGradients(_ model: any SummaryModel, _ batch: ModelBatch) -> (Float, [[Float]]) {
            model.zeroGrad()
            let loss = model.trainingLoss(batch)
            loss.backward()
            return (loss.item, model.parameters().map { $0.grad?.values ?? [] })
        }
        for step in 0..<2 {
            let (paddedLoss, paddedGradients) = lossAndGradients(onPadded, padded)
            let (packedLoss, packedGradients) = lossAndGradients(onPacked, packed)
            #expect(abs(paddedLoss - packedLoss) <= 1e-6 * abs(paddedLoss), "step \(step)")
            for (p, (a, b)) in zip(paddedGradients, packedGradients).enumerated() {
                #expect(!a.isEmpty && relativeDifference(b, a) <= 1e-5, "step \(step), parameter \(p)")
            }
        }
        onPadded.eval()
        onPacked.eval()
        let paddedScores = onPadded.frameScores(padded).values, packedScores = onPacked.frameScores(packed).values
        for b in videos.indices {
            #expect(padded.rows(of: b).count == videos[b].length && packed.rows(of: b).count == videos[b].length)
            #expect(maxAbsDifference(Array(packedScores[packed.rows(of: b)]), Array(paddedScores[padded.rows(of: b)])) <= 1e-6, "video \(b)")
        }
    }

    static func paddedBatchMatchesEachVideoAlone(_ model: any SummaryModel, lengths: [Int] = [11, 4, 7, 1],
                                                 paddedScoresAreZero: Bool = true,
                                                 sourceLocation: SourceLocation = #_sourceLocation) {
        let (features, mask) = batch(lengths: lengths, inputDim: model.inputDim, seed: 4)
        // Padding rows hold large values, so any leak of them into a real frame's score shows.
        let t = features.shape[1], f = model.inputDim
        var values = features.values
        for (b, n) in lengths.enumerated() { for i in (b * t + n) * f..<((b + 1) * t) * f { values[i] *= 25 } }
        let padded = Tensor(values, shape: features.shape)
        model.train()
        _ = GradMode.withNoGrad { model(padded, mask: mask) }
        model.eval()
        let together = GradMode.withNoGrad { model(padded, mask: mask) }
        let alone = scoresAlone(model, features, lengths: lengths)
        for (b, n) in lengths.enumerated() {
            let difference = maxAbsDifference(row(together, b, n), alone[b])
            #expect(difference <= 1e-5, "\(model.name): video \(b) (length \(n)) differs from its scores alone by \(difference)",
                    sourceLocation: sourceLocation)
            if paddedScoresAreZero {
                #expect(together.values[(b * t + n)..<((b + 1) * t)].allSatisfy { $0 == 0 }, "\(model.name): padded scores of video \(b)",
                        sourceLocation: sourceLocation)
            }
        }
    }
}
