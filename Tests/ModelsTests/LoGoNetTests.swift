import Foundation
import Testing
import TensorCore
import TestSupport
import Models

/// A small LoGoNet for the behavioural tests (the parity cases bring their own configurations).
private func smallConfig(kernel: Int = 3, crossAttention: Bool = true, adaptiveFusion: Bool = true,
                         maxLen: Int = 32, dropout: Float = 0) -> LoGoNet.Config {
    LoGoNet.Config(inputDim: 12, hidden: 16, kernel: kernel, layers: 2, heads: 4, ffDim: 24, scoreHidden: 8,
                   maxLen: maxLen, dropout: dropout, crossAttention: crossAttention, adaptiveFusion: adaptiveFusion)
}

private func randomFeatures(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.normal(shape, rng: &rng)
}

/// (B, T) mask with the first lengths[b] frames of video b real.
private func lengthMask(_ lengths: [Int], length t: Int) -> Tensor {
    Tensor(lengths.flatMap { n in (0..<t).map { $0 < n ? Float(1) : 0 } }, shape: [lengths.count, t])
}

private func evalScores(_ model: LoGoNet, _ x: Tensor, _ mask: Tensor) -> [Float] {
    model.eval()
    return GradMode.withNoGrad { model(x, mask: mask) }.values
}

@Suite("LoGoNet") struct LoGoNetTests {
    // MARK: Published architecture

    @Test(arguments: [(3, 11_812_355), (5, 12_075_011)])
    func parameterCountAtPublishedWidth(kernel: Int, expected: Int) throws {
        let model = try LoGoNet(spec: ModelSpec(name: "logonet", options: ["kernel": "\(kernel)"]))
        #expect(model.parameterCount == expected)
        #expect(model.config.hidden == 512 && model.config.ffDim == 2048 && model.config.scoreHidden == 256)
    }

    @Test func stateDictKeysAndShapesFollowTheSpec() throws {
        let model = try LoGoNet(config: .published)
        let shapes = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1.shape) })
        #expect(shapes["local_path.conv1.weight"] == [256, 1, 3, 1])
        #expect(shapes["local_path.conv2.weight"] == [512, 256, 3, 1])
        #expect(shapes["local_path.bn2.running_var"] == [512])
        #expect(shapes["global_path.pos_encoding"] == [1, 1000, 512])
        #expect(shapes["global_path.transformer_layers.1.self_attn.in_proj_weight"] == [1536, 512])
        #expect(shapes["global_path.transformer_layers.1.ff.3.weight"] == [512, 2048])
        #expect(shapes["cross_attention.global_to_local.out_proj.weight"] == [512, 512])
        #expect(shapes["adaptive_fusion.gate_net.3.weight"] == [2, 512])
        #expect(shapes["adaptive_fusion.fusion_proj.1.bias"] == [512])
        #expect(shapes["score_net.0.weight"] == [512])
        #expect(shapes["score_net.4.weight"] == [1, 256])
        #expect(model.namedBuffers().count == 4)
        #expect(shapes.count == model.namedParameters().count + 4)
    }

    @Test func smallSizeDividesHiddenWidthsOnly() throws {
        let model = try ModelRegistry.standard.make(ModelSpec(name: "logonet", size: .small, options: ["cross_attention": "false"]))
        let logonet = try #require(model as? LoGoNet)
        #expect(logonet.config.hidden == 128 && logonet.config.ffDim == 512 && logonet.config.scoreHidden == 64)
        #expect(logonet.config.heads == 8 && logonet.config.layers == 2 && logonet.config.inputDim == 1024)
        #expect(!logonet.config.crossAttention && logonet.config.adaptiveFusion)
        #expect(!logonet.namedParameters().contains { $0.0.hasPrefix("cross_attention.") })
    }

    @Test func badOptionsAreRejectedByName() {
        #expect(throws: ModelError.self) { try ModelRegistry.standard.make(ModelSpec(name: "logonet", options: ["kernel": "4"])) }
        #expect(throws: ModelError.self) { try ModelRegistry.standard.make(ModelSpec(name: "logonet", options: ["kernel": "three"])) }
        #expect(throws: ModelError.self) { try ModelRegistry.standard.make(ModelSpec(name: "logonet", options: ["adaptive_fusion": "maybe"])) }
        #expect(throws: ModelError.unknownOptions(model: "logonet", options: ["kernal"], known: ["kernel", "cross_attention", "adaptive_fusion"])) {
            try ModelRegistry.standard.make(ModelSpec(name: "logonet", options: ["kernal": "5"]))
        }
        var config = smallConfig()
        config.heads = 5
        #expect(throws: ModelError.self) { try LoGoNet(config: config) }
    }

    @Test func configDecodesTheReferenceKeys() throws {
        let json = #"{"input_dim": 16, "hidden": 16, "kernel": 5, "layers": 1, "heads": 8, "ff_dim": 32,"#
            + #" "score_hidden": 8, "max_len": 16, "dropout": 0.5, "cross_attention": false, "adaptive_fusion": true}"#
        let config = try JSONDecoder().decode(LoGoNet.Config.self, from: Data(json.utf8))
        #expect(config == LoGoNet.Config(inputDim: 16, hidden: 16, kernel: 5, layers: 1, heads: 8, ffDim: 32, scoreHidden: 8,
                                         maxLen: 16, dropout: 0.5, crossAttention: false, adaptiveFusion: true))
    }

    /// Small-gain attention init and the positional table's xavier bound with the 3-D fan rule.
    @Test func initialisation() throws {
        let config = LoGoNet.Config(inputDim: 16, hidden: 32, kernel: 3, layers: 2, heads: 8, ffDim: 64, scoreHidden: 8,
                                    maxLen: 200, dropout: 0.5, crossAttention: true, adaptiveFusion: true)
        let model = try LoGoNet(config: config, seed: 3)
        let h = Float(config.hidden)
        func maxAbs(_ t: Tensor) -> Float { t.values.reduce(0) { Swift.max($0, abs($1)) } }
        let inBound = 0.01 * (6 / (h + 3 * h)).squareRoot(), outBound = 0.01 * (6 / (2 * h)).squareRoot()
        var attentionCount = 0
        for (key, tensor) in model.namedParameters() {
            if key.hasSuffix("in_proj_weight") {
                #expect(maxAbs(tensor) <= inBound && maxAbs(tensor) > 0.9 * inBound, "\(key)")
                attentionCount += 1
            } else if key.hasSuffix("out_proj.weight") {
                #expect(maxAbs(tensor) <= outBound && maxAbs(tensor) > 0.9 * outBound, "\(key)")
            } else if key.hasSuffix("in_proj_bias") || key.hasSuffix("out_proj.bias") {
                #expect(maxAbs(tensor) == 0, "\(key)")
            }
        }
        #expect(attentionCount == 4)
        let state = Dictionary(uniqueKeysWithValues: model.stateDict())
        let posBound = 0.02 * (6 / (Float(config.maxLen) * h + h)).squareRoot()
        let pos = try #require(state["global_path.pos_encoding"])
        #expect(maxAbs(pos) <= posBound && maxAbs(pos) > 0.9 * posBound)
        // PyTorch defaults elsewhere: Linear U(+-1/sqrt(fan_in)), LayerNorm (1, 0), BatchNorm running (0, 1).
        let proj = try #require(state["local_path.feature_proj.weight"])
        #expect(maxAbs(proj) <= 1 / Float(16).squareRoot() && maxAbs(proj) > 0.9 / Float(16).squareRoot())
        #expect(try #require(state["local_path.bn1.running_var"]).values.allSatisfy { $0 == 1 })
        #expect(try #require(state["global_path.transformer_layers.0.norm1.weight"]).values.allSatisfy { $0 == 1 })
    }

    // MARK: Parity with the PyTorch reference

    static let fixtureCases = ["logonet_base", "logonet_k5", "logonet_nocross", "logonet_nofusion",
                               "logonet_longpos", "logonet_clamp"]

    private func model(for fixture: ModelFixture, dropout: Float? = nil) throws -> LoGoNet {
        var config = try JSONDecoder().decode(LoGoNet.Config.self,
                                              from: JSONSerialization.data(withJSONObject: fixture.config))
        if let dropout { config.dropout = dropout }
        let model = try LoGoNet(config: config, seed: 99)
        try model.loadState(fixture.parameters)
        return model
    }

    @Test(arguments: fixtureCases) func evalParity(_ name: String) throws {
        let fixture = try ModelFixture(name)
        let model = try model(for: fixture)
        let out = evalScores(model, try fixture.tensor("input.features"), try fixture.tensor("input.mask"))
        let expected = try fixture.tensor("output.eval")
        #expect(out.count == expected.count)
        #expect(maxAbsDifference(out, expected.values) < 1e-4, "\(name): eval scores differ")
    }

    @Test(arguments: fixtureCases) func trainParity(_ name: String) throws {
        let fixture = try ModelFixture(name)
        let model = try model(for: fixture, dropout: 0)
        model.train()
        let mask = try fixture.tensor("input.mask")
        let out = model(try fixture.tensor("input.features"), mask: mask)
        let loss = Tensor.maskedMSE(out, try fixture.tensor("input.target"), mask: mask)
        #expect(maxAbsDifference(out.values, try fixture.tensor("output.train").values) < 1e-4, "\(name): train scores")
        #expect(relativeDifference([loss.item], try fixture.tensor("loss.train").values) < 1e-4, "\(name): loss")
        loss.backward()
        var checked = 0
        for (key, parameter) in model.namedParameters() {
            let expected = try fixture.tensor("grad.\(key)")
            let grad = try #require(parameter.grad, "\(name): no gradient for \(key)")
            #expect(grad.shape == expected.shape)
            if expected.values.allSatisfy({ abs($0) < 1e-12 }) {
                // The conv biases feed a train-mode BatchNorm, which subtracts their effect again: their
                // gradient is zero and the reference (float64) stores round-off, so compare absolutely.
                #expect(maxAbsDifference(grad.values, expected.values) < 1e-7, "\(name): gradient of \(key)")
            } else {
                #expect(relativeDifference(grad.values, expected.values) < 1e-3, "\(name): gradient of \(key)")
            }
            checked += 1
        }
        #expect(checked == fixture.tensors.keys.filter { $0.hasPrefix("grad.") }.count)
        for (key, buffer) in model.namedBuffers() {
            #expect(maxAbsDifference(buffer.values, try fixture.tensor("after.\(key)").values) < 1e-4, "\(name): \(key) after")
        }
    }

    // MARK: Padding

    /// Attention excludes padded keys and the local path zeroes padded frames before each convolution
    /// (README "Padding"), so every video scores as alone: with and without each ablation switch, with
    /// kernel 5, and with videos longer than the positional table (each is resampled to its own length,
    /// not to the batch's padded length). LoGoNet's scores are not multiplied by the mask.
    @Test(arguments: [(3, true, true, 32), (5, true, true, 32), (3, false, true, 32), (3, true, false, 32),
                      (3, true, true, 6)])
    func paddedBatchGivesEachVideoItsOwnScores(kernel: Int, crossAttention: Bool, adaptiveFusion: Bool, maxLen: Int) throws {
        let config = smallConfig(kernel: kernel, crossAttention: crossAttention, adaptiveFusion: adaptiveFusion, maxLen: maxLen)
        ReportModelChecks.paddedBatchMatchesEachVideoAlone(try LoGoNet(config: config, seed: 9), lengths: [11, 4, 7, 1, 9],
                                                           paddedScoresAreZero: false)
    }

    /// In evaluation without gradients the local path's conv1 -> bn1 -> GELU runs plane by plane
    /// (`conv2dBatchNormActivationDropout`): the same bits as with gradients recorded (the two ops), also
    /// for a padded batch, which takes the two ops.
    @Test func evaluationWithoutGradientsGivesTheSameBits() throws {
        let model = try LoGoNet(config: smallConfig(kernel: 3, crossAttention: true, adaptiveFusion: true, maxLen: 32), seed: 5)
        for lengths in [[9], [7, 4]] {
            let (features, mask) = ReportModelChecks.batch(lengths: lengths, inputDim: model.inputDim, seed: 6)
            model.train()
            _ = GradMode.withNoGrad { model(features, mask: mask) }      // running statistics away from their start
            model.eval()
            let fused = GradMode.withNoGrad { model(features, mask: mask) }
            let separate = model(features, mask: mask)                    // the parameters require gradients
            #expect(mismatches(fused.values.map(\.bitPattern), separate.values.map(\.bitPattern)).none, "lengths \(lengths)")
        }
    }

    // MARK: Training, checkpoints, cost

    @Test func shortTrainingRunLowersTheLoss() throws {
        let model = try LoGoNet(config: smallConfig(maxLen: 16, dropout: 0.1), seed: 11)
        let lengths = [16, 12, 9, 14], t = 16
        let x = randomFeatures([4, t, 12], seed: 12)
        let mask = lengthMask(lengths, length: t)
        // A learnable target: a fixed random projection of each frame's features, smoothed over time.
        let direction = randomFeatures([12, 1], seed: 13)
        let raw = x.reshaped([-1, 12]).matmul(direction).reshaped([4, t])
        let previous = Tensor.concat([raw.slice(axis: 1, start: 0, length: 1), raw.slice(axis: 1, start: 0, length: t - 1)], axis: 1)
        let target = GradMode.withNoGrad { ((raw + previous) * 0.5).sigmoid() }
        let optimizer = Adam(model.parameters(), lr: 3e-3)
        func trainStep() -> Float {
            model.train()
            model.zeroGrad()
            let loss = Tensor.maskedMSE(model(x, mask: mask), target, mask: mask)
            loss.backward()
            optimizer.step()
            return loss.item
        }
        func evalLoss() -> Float {
            model.eval()
            return GradMode.withNoGrad { Tensor.maskedMSE(model(x, mask: mask), target, mask: mask).item }
        }
        let before = evalLoss()
        for _ in 0..<40 { _ = trainStep() }
        let after = evalLoss()
        #expect(after.isFinite && after < 0.5 * before, "loss \(before) -> \(after)")
    }

    @Test func checkpointRoundTrip() throws {
        let config = smallConfig(kernel: 5, adaptiveFusion: false)
        let model = try LoGoNet(config: config, seed: 14)
        // One training forward so the BatchNorm running statistics differ from their initial values.
        let x = randomFeatures([2, 8, 12], seed: 15), mask = lengthMask([8, 5], length: 8)
        model.train()
        _ = GradMode.withNoGrad { model(x, mask: mask) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("logonet-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.saveCheckpoint(to: url, metadata: ["model": "logonet"])
        let fresh = try LoGoNet(config: config, seed: 16)
        #expect(evalScores(fresh, x, mask) != evalScores(model, x, mask))
        let metadata = try fresh.loadCheckpoint(from: url)
        #expect(metadata["model"] == "logonet")
        #expect(evalScores(fresh, x, mask) == evalScores(model, x, mask))
    }

    /// The analytic count against the FLOPs the core's matrix products and convolutions record, counted
    /// for this task only (other tests run concurrently).
    @Test(arguments: [(3, true, true), (5, true, true), (3, false, true), (3, true, false)])
    func forwardFlopsMatchTheMeasuredCount(kernel: Int, crossAttention: Bool, adaptiveFusion: Bool) throws {
        let model = try LoGoNet(config: smallConfig(kernel: kernel, crossAttention: crossAttention,
                                                    adaptiveFusion: adaptiveFusion), seed: 17)
        model.eval()
        let (b, t) = (2, 9)
        let x = randomFeatures([b, t, 12], seed: 18), mask = lengthMask([9, 6], length: t)
        let (_, measured) = Accounting.countingFlops { GradMode.withNoGrad { model(x, mask: mask) } }
        let perFrame = Double(measured) / Double(b * t)
        // The model's count has conv2 with all H output channels; the local path computes the channel mean
        // after bn2 as one single-channel convolution instead (same result), so H - 1 of them are not run.
        let c = model.config, half = c.kernel / 2
        let taps = Double((-half...half).reduce(0) { $0 + Swift.max(0, t - abs($1)) }) / Double(t)
        let foldedConv2 = 2 * Double(c.hidden - 1) * Double(c.hidden / 2) * taps * Double(c.hidden)
        let analytic = model.forwardFlopsPerFrame(length: t) - foldedConv2
        #expect(abs(perFrame - analytic) <= 0.02 * analytic, "measured \(perFrame), analytic \(analytic)")
    }
}
