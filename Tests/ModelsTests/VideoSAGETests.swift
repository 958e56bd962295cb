import Foundation
import Randomness
import Testing
import TensorCore
import VideoData
@testable import Models

@Suite("VideoSAGE (report variant)")
struct VideoSAGETests {
    static let tiny = VideoSAGE.Config(inputDim: 16, hidden: 8, gcnLayers: 3, scoreHidden: [8, 4], dropout: 0)

    @Test func parameterCountAtPublishedWidth() throws {
        let model = try ModelRegistry.standard.make(ModelSpec(name: "videosage"))
        #expect(model.parameterCount == 1_477_121)
        #expect(model is VideoSAGE)
    }

    @Test func stateDictKeysAndShapes() {
        let model = VideoSAGE(config: .published)
        let shapes = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1.shape) })
        #expect(Set(shapes.keys) == ["feature_proj.weight", "feature_proj.bias",
                                     "gcn_layers.0.weight", "gcn_layers.0.bias", "gcn_layers.1.weight", "gcn_layers.1.bias",
                                     "gcn_layers.2.weight", "gcn_layers.2.bias",
                                     "score_net.0.weight", "score_net.0.bias", "score_net.3.weight", "score_net.3.bias",
                                     "score_net.6.weight", "score_net.6.bias"])
        #expect(shapes["gcn_layers.1.weight"] == [512, 512])
        #expect(shapes["gcn_layers.1.bias"] == [512])
    }

    @Test func graphWeightsAreXavierAndBiasesZero() {
        let model = VideoSAGE(config: .published, seed: 9)
        let bound = (6 / Float(512 + 512)).squareRoot()
        for layer in model.gcnLayers {
            let w = layer.weight.values
            #expect(w.allSatisfy { abs($0) <= bound })
            // A uniform on (-bound, bound) fills it: the extremes come close to the bound.
            #expect((w.map(abs).max() ?? 0) > 0.99 * bound)
            #expect(layer.bias.values.allSatisfy { $0 == 0 })
        }
    }

    @Test func smallSizeDividesHiddenWidthsByFour() throws {
        let config = try VideoSAGE.Config.from(ModelSpec(name: "videosage", size: .small))
        #expect(config == VideoSAGE.Config(inputDim: 1024, hidden: 128, gcnLayers: 3, scoreHidden: [64, 32], dropout: 0.5))
    }

    /// The band coefficients against the dense D^-1/2 A D^-1/2 built entry by entry.
    @Test func chainGraphMatchesTheDenseOperator() {
        let lengths = [7, 1, 2, 9]
        let t = 9
        let (_, mask) = ReportModelChecks.batch(lengths: lengths, inputDim: 1, seed: 1)
        let band = VideoSAGE.chainGraphCoefficients(mask: mask).values
        for (b, n) in lengths.enumerated() {
            let degree = (0..<n).map { i in Double((max(0, i - 1)...min(n - 1, i + 1)).count) }
            for i in 0..<t {
                for j in 0..<t {
                    var dense = 0.0
                    if i < n && j < n && abs(i - j) <= 1 { dense = 1 / ((degree[i] + 1e-8) * (degree[j] + 1e-8)).squareRoot() }
                    if i >= n && i == j { dense = 1 }
                    let offset = j - i
                    let fromBand = abs(offset) <= 1 ? Double(band[(b * t + i) * 3 + offset + 1]) : 0
                    #expect(abs(fromBand - dense) < 1e-7, "video \(b) entry (\(i), \(j))")
                }
            }
        }
    }

    @Test func parityWithPyTorch() throws {
        let fixture = try ModelFixture("videosage_base")
        var config = try ReportModelChecks.config(VideoSAGE.Config.self, of: fixture)
        try ReportModelChecks.parity(fixture) { dropout in
            config.dropout = dropout
            return VideoSAGE(config: config)
        }
    }

    @Test func paddedBatchGivesEachVideoItsOwnScores() {
        ReportModelChecks.paddedBatchMatchesEachVideoAlone(VideoSAGE(config: Self.tiny, seed: 3))
    }

    /// The packed layout (the model's contract) trains and scores exactly as the padded one: with dropout
    /// on (the packed rows draw the padded batch's masks), the same loss and the same gradient for every
    /// parameter from two models of one seed, and each video's same scores in eval mode.
    @Test func packedBatchTrainsAndScoresAsThePaddedOne() throws {
        var random = SeededGenerator(seed: 5)
        let videos = [7, 1, 12, 3].enumerated().map { index, length in
            Video(key: "v\(index)", featureWidth: Self.tiny.inputDim,
                  features: (0..<(length * Self.tiny.inputDim)).map { _ in random.uniform(-2, 2) },
                  gtscore: (0..<length).map { _ in random.uniform(0, 1) }, changePoints: [])
        }
        var config = Self.tiny
        config.dropout = 0.5
        let onPadded = VideoSAGE(config: config, seed: 4), onPacked = VideoSAGE(config: config, seed: 4)
        #expect(onPacked.contract.layout == .packed)
        let padded = try ModelBatch(videos: videos, layout: .padded), packed = try ModelBatch(videos: videos, layout: .packed)
        #expect(padded.features.shape == [4, 12, 16] && packed.features.shape == [1, 23, 16])
        func lossAndGradients(_ model: VideoSAGE, _ batch: ModelBatch) -> (Float, [[Float]]) {
            let loss = model.trainingLoss(batch)
            loss.backward()
            return (loss.item, model.parameters().map { $0.grad?.values ?? [] })
        }
        for step in 0..<2 {
            onPadded.zeroGrad()
            onPacked.zeroGrad()
            let (paddedLoss, paddedGradients) = lossAndGradients(onPadded, padded)
            let (packedLoss, packedGradients) = lossAndGradients(onPacked, packed)
            #expect(abs(paddedLoss - packedLoss) <= 1e-6 * abs(paddedLoss), "step \(step)")
            for (p, (a, b)) in zip(paddedGradients, packedGradients).enumerated() {
                let scale = max(a.map(abs).max() ?? 0, 1e-6)
                #expect(a.count == b.count && !a.isEmpty && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 * scale }, "step \(step), parameter \(p)")
            }
        }
        onPadded.eval()
        onPacked.eval()
        let paddedScores = onPadded.frameScores(padded).values, packedScores = onPacked.frameScores(packed).values
        for b in videos.indices {
            #expect(padded.rows(of: b).count == videos[b].length && packed.rows(of: b).count == videos[b].length)
            let agree = zip(paddedScores[padded.rows(of: b)], packedScores[packed.rows(of: b)]).allSatisfy { abs($0 - $1) <= 1e-6 }
            #expect(agree, "video \(b)")
        }
    }

    @Test func leftPaddedMaskIsRejectedByName() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = VideoSAGE.chainGraphCoefficients(mask: Tensor([0, 1, 1], shape: [1, 3]))
        }
        #if DEBUG   // optimised builds drop precondition messages
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("videosage: mask row 0 is not right-padded"))
        #else
        _ = result
        #endif
    }

    @Test func flopCountMatchesTheCore() {
        ReportModelChecks.flopsAgree(VideoSAGE(config: Self.tiny), lengths: [10, 6])
    }

    @Test func trainingLowersTheLoss() {
        ReportModelChecks.trainingLowersLoss(VideoSAGE(config: Self.tiny, seed: 7), steps: 60, lr: 1e-2)
    }

    @Test func checkpointRoundTrip() throws {
        try ReportModelChecks.checkpointRoundTrip(VideoSAGE(config: Self.tiny, seed: 1),
                                                  fresh: VideoSAGE(config: Self.tiny, seed: 2))
    }
}
