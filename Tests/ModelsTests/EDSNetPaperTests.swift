import Evaluation
import Foundation
import Testing
import TensorCore
import TestSupport
@testable import Models

@Suite("EDSNet (paper variant)")
struct EDSNetPaperTests {
    static func spec(_ options: [String: String], size: ModelSize = .paper, dropout: Float = 0.5) -> ModelSpec {
        ModelSpec(name: "edsnet", variant: .paper, size: size, dropout: dropout, seed: 3, options: options)
    }

    static let tinyFourier = EDSNetPaperConfig(inputDim: 16, mixer: .fourier, pooling: .fft, scales: [4], hidden: 8,
                                               heads: 2, headDim: 4, landmarks: 8, dropout: 0)
    static let tinyNystrom = EDSNetPaperConfig(inputDim: 16, mixer: .nystrom, pooling: .roi, scales: [4, 8], hidden: 8,
                                               heads: 2, headDim: 4, landmarks: 8, residualKernel: 5, dropout: 0)

    // MARK: configuration, parameters, keys

    @Test func parameterCountsOfThePublishedConfigurations() throws {
        let fourier = try EDSNetPaper(spec: Self.spec(["mixer": "fourier", "pooling": "fft", "scales": "4"]))
        #expect(fourier.parameterCount == 1_269_763)
        let nystrom = try EDSNetPaper(spec: Self.spec(["mixer": "nystrom", "pooling": "roi", "scales": "12"]))
        #expect(nystrom.parameterCount == 2_248_843)
        #expect(try EDSNetPaper(spec: Self.spec([:])).config == .fourierFFT4)
        #expect(EDSNetPaper(config: .nystromROI12).parameterCount == 2_248_843)
    }

    /// paper-state-dicts.md, sections edsnet-fourier-fft4 (48 keys) and edsnet-nystrom-roi12 (44 keys).
    @Test func officialKeysShapesAndAliases() throws {
        let fourier = EDSNetPaper(config: .fourierFFT4)
        let shapes = Dictionary(uniqueKeysWithValues: fourier.stateDict().map { ($0.0, $0.1.shape) })
        #expect(shapes.count == 48)
        #expect(shapes["base_model.layernorm.weight"] == [1024])
        #expect(shapes["base_model.fc.0.weight"] == [1024, 1024])
        #expect(shapes["base_model.fft_skip.layernorm.bias"] == [1024])
        #expect(shapes["poolings.fc.0.weight"] == [128, 512])
        #expect(shapes["layer_norm.weight"] == [1024])
        #expect(shapes["fc1.weight"] == [128, 1024])
        #expect(shapes["fc_block.0.weight"] == [128, 128])
        #expect(shapes["fc_block.3.bias"] == [128])
        #expect(shapes["fc_cls.0.weight"] == [1, 128])
        #expect(shapes["fc_loc.0.weight"] == [2, 128])
        #expect(fourier.namedParameters().count == 20)
        let state = Dictionary(uniqueKeysWithValues: fourier.stateDict())
        for k in 0..<7 {
            for suffix in ["0.weight", "0.bias", "3.weight", "3.bias"] {
                // The same tensor, not a copy: the block is one module.
                #expect(state["fc.\(k).\(suffix)"] === state["fc_block.\(suffix)"])
            }
        }
        let nystrom = EDSNetPaper(config: .nystromROI12)
        let nShapes = Dictionary(uniqueKeysWithValues: nystrom.stateDict().map { ($0.0, $0.1.shape) })
        #expect(nShapes.count == 44)
        #expect(nShapes["base_model.to_qkv.weight"] == [1536, 1024])
        #expect(nShapes["base_model.to_out.0.weight"] == [1024, 512])
        #expect(nShapes["base_model.to_out.0.bias"] == [1024])
        #expect(nShapes["base_model.res_conv.weight"] == [8, 1, 33, 1])
        #expect(nShapes["poolings.fc.0.weight"] == nil)
    }

    @Test func optionsAndTheirErrors() throws {
        let config = try EDSNetPaperConfig.from(Self.spec(["mixer": "nystrom", "pooling": "roi", "scales": "4, 8,16,32"]))
        #expect(config.scales == [4, 8, 16, 32] && config.mixer == .nystrom && config.pooling == .roi)
        #expect(throws: ModelError.self) { try EDSNetPaperConfig.from(Self.spec(["mixer": "lstm"])) }
        #expect(throws: ModelError.self) { try EDSNetPaperConfig.from(Self.spec(["pooling": "dwt"])) }
        #expect(throws: ModelError.self) { try EDSNetPaperConfig.from(Self.spec(["scales": "4,x"])) }
        #expect(throws: ModelError.self) { try EDSNetPaperConfig.from(Self.spec(["kernel": "3"])) }
        // The official code's views fail for these, so they are refused before a model is built.
        #expect(throws: ModelError.self) { try EDSNetPaperConfig.from(Self.spec(["pooling": "fft", "scales": "4,8"])) }
        #expect(throws: ModelError.self) { try EDSNetPaperConfig.from(Self.spec(["pooling": "roi", "scales": "5"])) }
    }

    /// `--size small`: hidden 128 -> 32 and the Nystrom head width 64 -> 16; input width, the Fourier
    /// mixer's 1024-wide Linear, heads, landmarks, kernel, depth and scales as published.
    @Test func smallSize() throws {
        let fourier = try EDSNetPaperConfig.from(Self.spec([:], size: .small))
        #expect(fourier == EDSNetPaperConfig(mixer: .fourier, pooling: .fft, scales: [4], hidden: 32, headDim: 16))
        let nystrom = try EDSNetPaperConfig.from(Self.spec(["mixer": "nystrom", "pooling": "roi", "scales": "12"], size: .small))
        #expect(nystrom.hidden == 32 && nystrom.headDim == 16 && nystrom.heads == 8 && nystrom.landmarks == 64)
        // 3 LayerNorms + Linear 1024^2 + pooling 128x32 + fc1 1024x32 + block + heads.
        let f = 1024, h = 32
        #expect(EDSNetPaper(config: fourier).parameterCount
                == 3 * 2 * f + (f * f + f) + (4 * h * h + h) + (f * h + h) + (h * h + 3 * h) + (h + 1) + (2 * h + 2))
        #expect(EDSNetPaper(config: nystrom).parameterCount
                == 3 * 8 * 16 * f + (8 * 16 * f + f) + 8 * 33 + 2 * f + (f * h + h) + (h * h + 3 * h) + (h + 1) + (2 * h + 2))
    }

    // MARK: parity with the PyTorch reference

    struct Case {
        let fixture: ModelFixture
        let config: EDSNetPaperConfig
        let lengths: [Int]
        let seeds: [UInt64]
        let gradientVideos: Int

        init(_ name: String) throws {
            fixture = try ModelFixture(name)
            let json = try JSONSerialization.data(withJSONObject: fixture.config)
            config = try JSONDecoder().decode(EDSNetPaperConfig.self, from: json)
            lengths = (fixture.config["lengths"] as? [Int]) ?? []
            seeds = ((fixture.config["seeds"] as? [Int]) ?? []).map { UInt64($0) }
            gradientVideos = (fixture.config["gradient_videos"] as? Int) ?? 0
        }

        func tensor(_ video: Int, _ key: String) throws -> Tensor { try fixture.tensor("video\(video).\(key)") }
    }

    static let cases = ["edsnet_paper_fourier_fft4", "edsnet_paper_nystrom_roi12", "edsnet_paper_fourier_roi_multi"]

    /// Eval-mode head outputs and frame scores within 1e-4 on every video of the case (lengths 13 to 128,
    /// with and without the Nystrom mixer's front padding); the decoding of the reference's own head
    /// outputs gives exactly its frame scores.
    @Test(arguments: cases) func headsAndFrameScores(_ name: String) throws {
        let c = try Case(name)
        #expect(c.lengths.count >= 2)
        let model = EDSNetPaper(config: c.config)
        try model.loadState(c.fixture.parameters)   // with PyTorch's fc.k.* aliases
        model.eval()
        for (v, n) in c.lengths.enumerated() {
            let features = try c.tensor(v, "features")
            let (classScores, offsets) = GradMode.withNoGrad { model.heads(features) }
            let expectedClass = try c.tensor(v, "cls"), expectedOffsets = try c.tensor(v, "loc")
            #expect(classScores.shape == expectedClass.shape && offsets.shape == expectedOffsets.shape)
            let classError = maxAbsDifference(classScores.values, expectedClass.values)
            let offsetError = maxAbsDifference(offsets.values, expectedOffsets.values)
            #expect(classError <= 1e-4 && offsetError <= 1e-4, "\(name) video \(v) (T = \(n)): heads differ by \(classError), \(offsetError)")
            let expectedScores = try c.tensor(v, "scores").values
            let scores = GradMode.withNoGrad { model(features.reshaped([1, n, c.config.inputDim]), mask: Tensor(repeating: 1, shape: [1, n])) }
            #expect(maxAbsDifference(scores.values, expectedScores) <= 1e-4, "\(name) video \(v): frame scores")
            #expect(expectedScores.contains { $0 > 0 }, "\(name) video \(v): some box must survive")
            let decoded = DSNetDecoding.frameScores(classScores: expectedClass.values, offsets: expectedOffsets.values,
                                                    length: n, scales: c.config.scales)
            #expect(decoded == expectedScores, "\(name) video \(v): decoding of the reference's heads")
        }
    }

    /// The keyshot summary from the Evaluation module equals the reference's, and the anchor labels and
    /// sampled negatives for the stored seed are the reference's exactly.
    @Test(arguments: cases) func keyshotSummaryAndAnchorLabels(_ name: String) throws {
        let c = try Case(name)
        for (v, n) in c.lengths.enumerated() {
            let gtscore = try c.tensor(v, "gtscore").values.map(Double.init)
            let shotRows = try c.tensor(v, "shots").values.map { Int($0) }
            let shots = stride(from: 0, to: shotRows.count, by: 2).map { Shot(start: shotRows[$0], end: shotRows[$0 + 1]) }
            let summary = keyshotSummary(frameScores: gtscore, shots: shots).map { $0 ? Float(1) : 0 }
            #expect(summary == (try c.tensor(v, "summary").values), "\(name) video \(v): keyshot summary")
            let labels = DSNetAnchorLabels(summary: summary, scales: c.config.scales, seed: c.seeds[v])
            let expectedClasses = try c.tensor(v, "labels.cls").values.map { Int($0) }
            #expect(labels.classes == expectedClasses, "\(name) video \(v): anchor classes")
            #expect(maxAbsDifference(labels.offsets, try c.tensor(v, "labels.loc").values) <= 1e-7)
            #expect(labels.classes.count == n * c.config.scales.count)
            if v < c.gradientVideos { #expect(labels.positives > 0) }
        }
    }

    /// The DSNet loss and every parameter's gradient with dropout off, within 1e-3 of each tensor's scale.
    @Test(arguments: cases) func lossAndGradients(_ name: String) throws {
        let c = try Case(name)
        var config = c.config
        config.dropout = 0
        let model = EDSNetPaper(config: config)
        try model.loadState(c.fixture.parameters)
        model.train()
        #expect(c.gradientVideos >= 1)
        for v in 0..<c.gradientVideos {
            model.zeroGrad()
            let labels = DSNetAnchorLabels(classes: try c.tensor(v, "labels.cls").values.map { Int($0) },
                                           offsets: try c.tensor(v, "labels.loc").values)
            let (classScores, offsets) = model.heads(try c.tensor(v, "features"))
            let loss = EDSNetPaper.loss(classScores: classScores, offsets: offsets, labels: labels)
            let expectedLoss = try c.tensor(v, "loss").values[0]
            #expect(abs(loss.item - expectedLoss) <= 1e-5 * Swift.max(1, abs(expectedLoss)), "\(name) video \(v): loss \(loss.item) vs \(expectedLoss)")
            loss.backward()
            let keys = c.fixture.tensors.keys.filter { $0.hasPrefix("video\(v).grad.") }
            #expect(Set(keys.map { String($0.dropFirst("video\(v).grad.".count)) }) == Set(model.namedParameters().map(\.0)))
            let largest = try keys.map { try c.fixture.tensor($0).values.map(abs).max() ?? 0 }.max() ?? 0
            for (key, parameter) in model.namedParameters() {
                let expected = try c.tensor(v, "grad.\(key)")
                guard let grad = parameter.grad else { Issue.record("\(name): no gradient for \(key)"); continue }
                let scale = Swift.max(expected.values.map(abs).max() ?? 0, 1e-3 * largest)
                let difference = maxAbsDifference(grad.values, expected.values) / scale
                #expect(difference <= 1e-3, "\(name) video \(v): gradient of \(key) differs by \(difference) relative")
            }
        }
    }

    @Test func conflictingAliasIsRefusedByName() throws {
        let c = try Case("edsnet_paper_fourier_fft4")
        var entries = c.fixture.parameters
        var changed = entries["fc.3.0.bias"]!
        changed.values[2] += 0.5
        entries["fc.3.0.bias"] = changed
        let model = EDSNetPaper(config: c.config)
        do {
            try model.loadState(entries)
            Issue.record("a conflicting alias must not load")
        } catch let error as StateDictError {
            #expect(error.conflictingAliases.count == 1 && error.conflictingAliases[0].hasPrefix("fc.3.0.bias != fc_block.0.bias"))
            #expect(error.description.contains("fc.3.0.bias"))
        }
        // Without any alias (a file written by a tool that drops repeats) it loads.
        try model.loadState(c.fixture.parameters.filter { !$0.key.hasPrefix("fc.") })
    }

    @Test func checkpointWritesTheAliases() throws {
        let model = EDSNetPaper(config: Self.tinyFourier, seed: 1), fresh = EDSNetPaper(config: Self.tinyFourier, seed: 2)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("edsnet-paper-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.saveCheckpoint(to: url)
        let stored = try SafeTensors.load(from: url).tensors
        #expect(stored.count == model.namedParameters().count + 28)
        #expect(stored["fc.6.3.weight"]?.values == model.fcBlock.norm.weight?.values)
        try fresh.loadCheckpoint(from: url)
        for ((key, a), (_, b)) in zip(model.stateDict(), fresh.stateDict()) { #expect(mismatches(a.values, b.values).none, "\(key)") }
    }

    // MARK: the shared FC block

    /// One block applied 7 times: its gradient is the sum of the gradients of 7 separate copies.
    @Test func sharedBlockGradientsSum() {
        let rng = RandomSource(seed: 9)
        let shared = FCBlock(width: 6, dropout: 0, rng: rng, dropoutRNG: rng)
        let copies = (0..<7).map { _ in FCBlock(width: 6, dropout: 0, rng: rng, dropoutRNG: rng) }
        for copy in copies {
            for ((_, a), (_, b)) in zip(copy.namedParameters(), shared.namedParameters()) { a.assign(from: b) }
        }
        var gen = SeededGenerator(seed: 10)
        let x = Tensor.normal([5, 6], rng: &gen), upstream = Tensor.normal([5, 6], rng: &gen)
        var a = x, b = x
        for _ in 0..<7 { a = shared(a) }
        for copy in copies { b = copy(b) }
        #expect(maxAbsDifference(a.values, b.values) == 0)
        a.backward(seed: upstream)
        b.backward(seed: upstream)
        for (i, (key, parameter)) in shared.namedParameters().enumerated() {
            var sum = [Float](repeating: 0, count: parameter.count)
            for copy in copies { for (j, g) in copy.parameters()[i].grad!.values.enumerated() { sum[j] += g } }
            #expect(relativeDifference(parameter.grad!.values, sum) <= 1e-5, "\(key)")
            // A single copy's gradient is not the whole story.
            #expect(relativeDifference(parameter.grad!.values, copies[0].parameters()[i].grad!.values) > 1e-3, "\(key)")
        }
    }

    // MARK: decoding and NMS

    /// Half-to-even rounding after clipping, and empty boxes dropped.
    @Test func decodingRoundsHalfToEvenAndClips() {
        // Anchor (frame 3, width 4): centre 3 + 4 o_c, width 4 e^{o_w}.
        // o = (-0.125, log 0.5): centre 2.5, width 2 -> [1.5, 3.5] -> [2, 4].
        // Frame 0 with o = (0, log 3): [-6, 6] -> clipped [0, 6] on a 5-frame video -> [0, 5].
        var offsets = [Float](repeating: 0, count: 10)
        offsets[6] = -0.125; offsets[7] = Float(Foundation.log(0.5))
        offsets[0] = 0; offsets[1] = Float(Foundation.log(3.0))
        offsets[8] = 0; offsets[9] = -20   // frame 4: width ~0 -> [4, 4], empty
        let boxes = DSNetDecoding.decode(offsets: offsets, length: 5, scales: [4])
        #expect(boxes[3] == (2, 4))
        #expect(boxes[0] == (0, 5))
        #expect(boxes[4] == (4, 4))
        let kept = DSNetDecoding.nms(scores: [0.1, 0.2, 0.3, 0.9, 0.8], boxes: boxes)
        #expect(!kept.contains { $0.left == 4 && $0.right == 4 })
    }

    /// The classic formulation (pairwise IoU matrix, suppression flags over the sorted order) on random
    /// boxes with ties, against the greedy filter; kept boxes overlap less than the threshold, every
    /// dropped box overlaps a better kept one.
    @Test func nmsMatchesBruteForce() {
        var gen = SeededGenerator(seed: 17)
        for trial in 0..<200 {
            let count = gen.int(in: 1...25)
            let boxes: [(left: Int, right: Int)] = (0..<count).map { _ in
                let l = gen.int(in: 0...20)
                return (l, l + gen.int(in: -1...8))
            }
            // Scores on a coarse grid, so ties happen.
            let scores = (0..<count).map { _ in Float(gen.int(in: 0...6)) / 6 }
            let kept = DSNetDecoding.nms(scores: scores, boxes: boxes, threshold: 0.5)

            let valid = (0..<count).filter { boxes[$0].left < boxes[$0].right }
            let order = valid.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 > $1 }
            func iou(_ a: Int, _ b: Int) -> Double {
                let inter = max(0, min(boxes[a].right, boxes[b].right) - max(boxes[a].left, boxes[b].left))
                let union = max(boxes[a].right, boxes[b].right) - min(boxes[a].left, boxes[b].left)
                return Double(inter) / Double(union)
            }
            var suppressed = [Bool](repeating: false, count: order.count)
            var expected: [Int] = []
            for i in order.indices where !suppressed[i] {
                expected.append(order[i])
                for j in (i + 1)..<order.count where iou(order[i], order[j]) >= 0.5 { suppressed[j] = true }
            }
            #expect(kept.map { DSNetDecoding.Box(left: $0.left, right: $0.right, score: $0.score) }
                    == expected.map { DSNetDecoding.Box(left: boxes[$0].left, right: boxes[$0].right, score: scores[$0]) },
                    "trial \(trial)")
            for a in expected { for b in expected where a != b { #expect(iou(a, b) < 0.5) } }
            for d in valid where !expected.contains(d) {
                #expect(expected.contains { iou($0, d) >= 0.5 && order.firstIndex(of: $0)! < order.firstIndex(of: d)! })
            }
        }
    }

    @Test func frameScoresTakeTheBestCoveringBox() {
        let kept = [DSNetDecoding.Box(left: 1, right: 4, score: 0.5), DSNetDecoding.Box(left: 3, right: 6, score: 0.75)]
        #expect(DSNetDecoding.frameScores(kept: kept, length: 7) == [0, 0.5, 0.5, 0.75, 0.75, 0.75, 0])
    }

    // MARK: labels

    @Test func labelRules() {
        // One keyshot [4, 8) in 16 frames, scale 4: positives where IoU > 0.6, i.e. anchors [i-2, i+2) with
        // overlap 3 or 4 (IoU 3/5, 4/4): 3/5 = 0.6 exactly is not > 0.6 in float32, so only i = 6.
        var summary = [Float](repeating: 0, count: 16)
        for i in 4..<8 { summary[i] = 1 }
        let labels = DSNetAnchorLabels(summary: summary, scales: [4], seed: 5)
        #expect(labels.positives == 1 && labels.classes[6] == 1)
        #expect(labels.offsets[12] == 0 && labels.offsets[13] == 0)
        // Two negatives from the IoU = 0 anchors (i <= 2 or i >= 10) and one incomplete one (0 < IoU <= 0.3:
        // IoU 1/7 at i = 3 and i = 9; i = 4 and 8 have 1/3, above 0.3).
        let negatives = labels.classes.indices.filter { labels.classes[$0] == -1 }
        #expect(negatives.count == 3)
        #expect(negatives.filter { $0 <= 2 || $0 >= 10 }.count == 2)
        #expect(negatives.filter { [3, 9].contains($0) }.count == 1)
        // Another seed samples other anchors (the rule is random), the same seed the same ones.
        #expect(DSNetAnchorLabels(summary: summary, scales: [4], seed: 5) == labels)
        let others = (6..<40).map { DSNetAnchorLabels(summary: summary, scales: [4], seed: UInt64($0)).classes }
        #expect(Set(others).count > 1)
        // Offsets of a positive: ((c_t - c_a) / w_a, log(w_t / w_a)).
        let wide = DSNetAnchorLabels(summary: [0, 1, 1, 1, 1, 1, 0, 0], scales: [4], seed: 1)
        let p = wide.classes.firstIndex(of: 1)!
        #expect(wide.offsets[2 * p] == Float((3.5 - Double(p)) / 4) && wide.offsets[2 * p + 1] == Float(Foundation.log(5.0 / 4)))
    }

    @Test func noPositiveAnchorGivesAnUndefinedLoss() {
        let model = EDSNetPaper(config: Self.tinyFourier)
        let features = Self.randomVideo(20, width: 16, seed: 2)
        var summary = [Float](repeating: 0, count: 20)
        for i in 5..<15 { summary[i] = 1 }   // a 10-frame keyshot: no 4-wide anchor reaches IoU 0.6
        let batch = ModelBatch(keys: ["v"], lengths: [20], features: features.reshaped([1, 20, 16]),
                               mask: Tensor(repeating: 1, shape: [1, 20]), gtscore: Tensor(zeros: [1, 20]),
                               keyshotSummary: [summary])
        #expect(model.trainingLoss(batch).item.isNaN)
    }

    // MARK: model-level behaviour

    static func randomVideo(_ t: Int, width: Int, seed: UInt64) -> Tensor {
        var gen = SeededGenerator(seed: seed)
        return Tensor.normal([t, width], rng: &gen)
    }

    @Test func paddedBatchGivesEachVideoItsOwnScores() {
        for config in [Self.tinyFourier, Self.tinyNystrom] {
            ReportModelChecks.paddedBatchMatchesEachVideoAlone(EDSNetPaper(config: config, seed: 4), lengths: [11, 4, 7, 1, 9])
        }
    }

    @Test func flopCountMatchesTheCore() {
        ReportModelChecks.flopsAgree(EDSNetPaper(config: Self.tinyFourier), lengths: [10])
        ReportModelChecks.flopsAgree(EDSNetPaper(config: Self.tinyNystrom), lengths: [13])
        ReportModelChecks.flopsAgree(EDSNetPaper(config: Self.tinyNystrom), lengths: [16])
    }

    /// Adam on the model's own trainingLoss, keyshot summaries from the Evaluation module, no harness.
    @Test(arguments: [tinyFourier, tinyNystrom]) func trainingLowersTheLoss(_ config: EDSNetPaperConfig) {
        let model = EDSNetPaper(config: config, seed: 7)
        var gen = SeededGenerator(seed: 8)
        let batches: [ModelBatch] = (0..<4).map { v in
            let t = 40 + 3 * v
            let features = Tensor.normal([1, t, config.inputDim], rng: &gen)
            var shots: [Shot] = [], start = 0
            while start < t { let l = gen.int(in: 3...5); shots.append(Shot(start: start, end: min(t, start + l))); start += l }
            let gtscore = (0..<t).map { _ in gen.uniform() }
            let summary = keyshotSummary(frameScores: gtscore, shots: shots).map { $0 ? Float(1) : 0 }
            return ModelBatch(keys: ["v\(v)"], lengths: [t], features: features, mask: Tensor(repeating: 1, shape: [1, t]),
                              gtscore: Tensor(gtscore.map(Float.init), shape: [1, t]), shots: [shots], keyshotSummary: [summary])
        }
        let optimizer = Adam(model.parameters(), lr: 3e-3)
        model.train()
        var epochLosses: [Float] = []
        for _ in 0..<25 {
            var sum: Float = 0, counted = 0
            for batch in batches {
                model.zeroGrad()
                let loss = model.trainingLoss(batch)
                guard loss.item.isFinite else { continue }
                loss.backward()
                optimizer.step()
                sum += loss.item
                counted += 1
            }
            epochLosses.append(sum / Float(max(counted, 1)))
        }
        #expect(epochLosses.allSatisfy { $0.isFinite && $0 > 0 })
        let start = epochLosses[0], end = epochLosses.suffix(3).reduce(0, +) / 3
        #expect(end < 0.6 * start, "\(config.mixer) loss \(start) -> \(end)")
    }
}
