import Foundation
import Testing
import TensorCore
import TestSupport
import VideoData
@testable import Models

/// CSTA as published (models.md 5.1) against the PyTorch reference tools/reference/paper_csta.py, whose
/// fixtures tools/reference/make_paper_csta_fixtures.py writes (width divisors 8 and 32: the same code
/// path as the published width, which would make the fixtures tens of megabytes).
@Suite("CSTA (paper variant)")
struct CSTAPaperTests {
    static let parityConfig = CSTAPaper.Config(inputDim: 32, widthDivisor: 8)
    static let checkpointConfig = CSTAPaper.Config(inputDim: 32, widthDivisor: 32)

    /// A fixture's `param.*` entries plus what it leaves out (the unused `googlenet.fc` and the fixed
    /// encoding table), taken from `model` itself.
    static func parityState(_ fixture: ModelFixture, for model: CSTAPaper) -> [String: (shape: [Int], values: [Float])] {
        var entries = fixture.parameters
        for (key, tensor) in model.stateDict() where key.hasPrefix("googlenet.fc.") || key == "Positional_encoding_op.pe" {
            entries[key] = (tensor.shape, tensor.values)
        }
        return entries
    }

    static func video(_ values: Tensor) -> (features: Tensor, mask: Tensor) {
        let (t, f) = (values.shape[0], values.shape[1])
        return (values.reshaped([1, t, f]), Tensor(repeating: 1, shape: [1, t]))
    }

    @Test func parameterCountsAtPublishedWidth() {
        let model = CSTAPaper()
        #expect(model.parameterCount == 9_779_851)
        let fc = model.namedParameters().filter { $0.0.hasPrefix("googlenet.fc.") }.reduce(0) { $0 + $1.1.count }
        #expect(model.parameterCount - fc == 8_754_851)
        let shapes = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1.shape) })
        #expect(shapes["CLS"] == [1, 3, 1, 1024])
        #expect(shapes["googlenet.conv1.conv.weight"] == [64, 3, 7, 7])
        #expect(shapes["googlenet.inception3a.branch3.1.conv.weight"] == [32, 16, 3, 3])   // the "5x5" branch is 3x3
        #expect(shapes["googlenet.inception5b.branch4.1.bn.running_var"] == [128])
        #expect(shapes["googlenet.fc.weight"] == [1000, 1024])
        #expect(shapes["Positional_encoding_op.pe"] == [5000, 1024])
        #expect(shapes["linear1.3.weight"] == [1024])
        #expect(shapes["linear2.0.weight"] == [1, 1024])
        #expect(shapes["layernorm1.running_mean"] == [1])
        #expect(model.contract == TrainingContract(maxBatchSize: 1, loss: .maskedMSE, frames: 14...4999))
    }

    /// The keys are exactly the official ones: the reference's state_dict (written with them, 361
    /// entries) less the num_batches_tracked counters, which this core does not keep.
    @Test func stateKeysAreTheOfficialOnes() throws {
        let checkpoint = try ModelFixture("csta_paper_checkpoint")
        #expect(checkpoint.tensors.count == 361)
        let official = Set(checkpoint.tensors.keys.filter { !$0.hasSuffix("num_batches_tracked") })
        let ours = CSTAPaper(config: Self.checkpointConfig).stateDict().map(\.0)
        #expect(Set(ours) == official)
        #expect(ours.count == official.count)
    }

    /// `--size small`: trunk channels and the projection width divided by 4 together.
    @Test func smallSize() throws {
        let config = try CSTAPaper.Config.from(ModelSpec(name: "csta", variant: .paper, size: .small, dropout: 0.3))
        #expect(config == CSTAPaper.Config(inputDim: 1024, widthDivisor: 4, attentionDropout: 0.6, headDropout: 0.3))
        let model = CSTAPaper(config: config)
        #expect(model.parameterCount == 1_205_923)
        #expect(model.googlenet.outChannels == 256 && model.config.projDim == 256)
        #expect(model.googlenet.conv1.outChannels == 16 && model.googlenet.conv3.outChannels == 48)
        let spec = ModelSpec(name: "csta", variant: .paper, options: ["attention_dropout": "0.25"])
        #expect(try CSTAPaper.Config.from(spec).attentionDropout == 0.25)
        #expect(throws: ModelError.self) {
            try CSTAPaper.Config.from(ModelSpec(name: "csta", variant: .paper, options: ["attention_dropout": "1.5"]))
        }
    }

    @Test func lengthLimits() throws {
        try CSTAPaper.checkLength(14, video: "v")
        try CSTAPaper.checkLength(4999, video: "v")
        #expect(throws: CSTAPaperError.videoTooShort(video: "video_7", length: 13)) { try CSTAPaper.checkLength(13, video: "video_7") }
        #expect(throws: CSTAPaperError.videoTooLong(video: "long", length: 5000)) { try CSTAPaper.checkLength(5000, video: "long") }
        let message = CSTAPaperError.videoTooShort(video: "video_7", length: 13).description
        #expect(message.contains("video_7") && message.contains("13 frames") && message.contains("14"))
        #expect(CSTAPaperError.videoTooLong(video: "long", length: 5000).description.contains("4999"))
        // The trunk's time axis: 1 row up to 45 frames, then 2, 3, 4 (the reference's trunk_rows agrees).
        let model = CSTAPaper(config: Self.parityConfig)
        #expect([14, 45, 60, 61, 93, 120].map { model.trunkRows(length: $0) } == [1, 1, 2, 2, 3, 4])
    }

    @Test func parityWithPyTorch() throws {
        let fixture = try ModelFixture("csta_paper_parity")
        let lengths = try #require(fixture.config["lengths"] as? [Int])
        #expect(lengths == [14, 37, 61, 94])

        let evalModel = CSTAPaper(config: Self.parityConfig)
        try evalModel.loadState(Self.parityState(fixture, for: evalModel))
        evalModel.eval()
        var worstEval: Float = 0, worstTrain: Float = 0
        for (i, n) in lengths.enumerated() {
            let (features, mask) = Self.video(try fixture.tensor("input.video\(i)"))
            let scores = GradMode.withNoGrad { evalModel(features, mask: mask) }
            let expected = try fixture.tensor("output.eval\(i)")
            #expect(scores.shape == [1, n])
            let difference = maxAbsDifference(scores.values, expected.values)
            worstEval = Swift.max(worstEval, difference)
            #expect(difference <= 1e-4, "eval scores of the \(n)-frame video: max difference \(difference)")
        }

        var train = Self.parityConfig
        train.attentionDropout = 0
        train.headDropout = 0
        let model = CSTAPaper(config: train)
        try model.loadState(Self.parityState(fixture, for: model))
        model.train()
        var total: Tensor?
        for (i, n) in lengths.enumerated() {
            let (features, mask) = Self.video(try fixture.tensor("input.video\(i)"))
            let target = try fixture.tensor("input.target\(i)").reshaped([1, n])
            let scores = model(features, mask: mask)
            let difference = maxAbsDifference(scores.values, try fixture.tensor("output.train\(i)").values)
            worstTrain = Swift.max(worstTrain, difference)
            #expect(difference <= 1e-4, "train scores of the \(n)-frame video: max difference \(difference)")
            // One pass per video (a second would move the running statistics again): the loss from these scores.
            let loss = Tensor.maskedMSE(scores, target, mask: mask)
            total = total.map { $0 + loss } ?? loss
        }
        let loss = try #require(total)
        loss.backward()
        let expectedLoss = try fixture.tensor("loss.train").values[0]
        #expect(abs(loss.item - expectedLoss) <= 1e-5 * Swift.max(1, abs(expectedLoss)), "loss \(loss.item) vs \(expectedLoss)")

        // Per tensor, relative to its largest reference gradient, floored at 1e-3 of the model's largest
        // (a tensor whose gradient is zero in exact arithmetic holds float64 noise in the reference).
        let keys = fixture.tensors.keys.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) }
        let largest = try keys.map { try fixture.tensor("grad.\($0)").values.map(abs).max() ?? 0 }.max() ?? 0
        var worst: (String, Float) = ("", 0)
        for (key, parameter) in model.namedParameters() {
            if key.hasPrefix("googlenet.fc.") {
                #expect(parameter.grad == nil, "googlenet.fc is never used, so it gets no gradient")
                continue
            }
            let expected = try fixture.tensor("grad.\(key)")
            let grad = try #require(parameter.grad, "no gradient for \(key)")
            let scale = Swift.max(expected.values.map(abs).max() ?? 0, 1e-3 * largest)
            let difference = maxAbsDifference(grad.values, expected.values) / scale
            if difference > worst.1 { worst = (key, difference) }
            #expect(difference <= 1e-3, "gradient of \(key): relative difference \(difference)")
        }
        #expect(Set(keys) == Set(model.namedParameters().map(\.0).filter { !$0.hasPrefix("googlenet.fc.") }))
        for (key, buffer) in model.namedBuffers() where key != "Positional_encoding_op.pe" {
            let difference = maxAbsDifference(buffer.values, try fixture.tensor("after.\(key)").values)
            #expect(difference <= 1e-4, "\(key) after the four train passes: difference \(difference)")
        }
        print("csta paper parity: eval scores within \(worstEval), train scores within \(worstTrain), loss \(loss.item) "
              + "against \(expectedLoss), largest relative gradient difference \(worst.1) (\(worst.0))")
    }

    /// A checkpoint the reference wrote with `state_dict()` (official keys, int64 num_batches_tracked,
    /// the 5000-row table, googlenet.fc) loads unchanged and scores as the reference does.
    @Test func loadsTheReferenceCheckpoint() throws {
        let url = try #require(Bundle.module.url(forResource: "csta_paper_checkpoint", withExtension: "safetensors",
                                                 subdirectory: "Fixtures"))
        let expected = try ModelFixture("csta_paper_checkpoint_expected")
        let model = CSTAPaper(config: Self.checkpointConfig, seed: 9)
        try model.loadCheckpoint(from: url)
        model.eval()
        let (features, mask) = Self.video(try expected.tensor("input.video"))
        let scores = GradMode.withNoGrad { model(features, mask: mask) }
        let difference = maxAbsDifference(scores.values, try expected.tensor("output.eval").values)
        #expect(difference <= 1e-4, "scores after loading: max difference \(difference)")

        // Our table at the published width against PyTorch's, rows 0-2, 1000 and the last two.
        let rows = try expected.tensor("table.row_index").values.map { Int($0) }
        let reference = try expected.tensor("table.rows").values
        let table = FixedPositionalEncoding(width: 1024).pe.values
        let ours = rows.flatMap { table[($0 * 1024)..<(($0 + 1) * 1024)] }
        let tableDifference = maxAbsDifference(ours, reference)
        #expect(tableDifference <= FixedPositionalEncoding.tolerance, "encoding table rows \(rows): difference \(tableDifference)")
        print("csta paper: encoding table at width 1024 within \(tableDifference) of PyTorch's on rows \(rows)")

        // Written back and read again: the same state.
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("csta-paper-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: copy) }
        try model.saveCheckpoint(to: copy)
        let again = CSTAPaper(config: Self.checkpointConfig, seed: 3)
        try again.loadCheckpoint(from: copy)
        for ((key, a), (_, b)) in zip(model.stateDict(), again.stateDict()) { #expect(mismatches(a.values, b.values).none, "\(key)") }
    }

    /// A checkpoint whose encoding table is not the fixed one is refused before anything is written.
    @Test func refusesAnotherEncodingTable() throws {
        let url = try #require(Bundle.module.url(forResource: "csta_paper_checkpoint", withExtension: "safetensors",
                                                 subdirectory: "Fixtures"))
        var (tensors, _) = try SafeTensors.load(from: url)
        var table = try #require(tensors["Positional_encoding_op.pe"])
        table.values[3 * 32 + 5] += 0.01
        tensors["Positional_encoding_op.pe"] = table
        let model = CSTAPaper(config: Self.checkpointConfig, seed: 4)
        let before = model.keyEmbedding.weight.values
        #expect(throws: CSTAPaperError.self) { try model.loadState(tensors.mapValues { ($0.shape, $0.values) }) }
        #expect(model.keyEmbedding.weight.values == before)
        do {
            try model.loadState(tensors.mapValues { ($0.shape, $0.values) })
        } catch let error as CSTAPaperError {
            #expect(error == .positionalTable(row: 3, column: 5, difference: error.difference))
            #expect(error.description.contains("row 3, column 5"))
        }
    }

    /// `trunk_weights`: torchvision-named GoogLeNet weights (the trunk's own keys, plus the auxiliary
    /// classifiers, which are dropped) go into the trunk; run records say which start was used.
    @Test func trunkWeightsFromATorchvisionNamedFile() throws {
        let url = try #require(Bundle.module.url(forResource: "csta_paper_checkpoint", withExtension: "safetensors",
                                                 subdirectory: "Fixtures"))
        let (tensors, _) = try SafeTensors.load(from: url)
        var torchvision: [String: TensorRecord] = [:]
        for (key, record) in tensors where key.hasPrefix("googlenet.") { torchvision[String(key.dropFirst(10))] = record }
        torchvision["aux1.conv.conv.weight"] = TensorRecord(shape: [128, 512, 1, 1], values: [Float](repeating: 0, count: 128 * 512))
        torchvision["aux2.fc2.bias"] = TensorRecord(shape: [1000], values: [Float](repeating: 0, count: 1000))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("googlenet-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        try SafeTensors.save(torchvision, to: file)

        let model = CSTAPaper(config: Self.checkpointConfig, seed: 5)
        #expect(model.configuration["trunk_weights"] == "scratch")
        let headBefore = model.linear1[0].namedParameters().map { $0.1.values }
        try model.loadTrunkWeights(from: file)
        #expect(model.configuration["trunk_weights"] == file.path)
        for (key, tensor) in model.googlenet.stateDict() {
            let stored = tensors["googlenet." + key]?.values ?? []
            #expect(mismatches(tensor.values, stored).none, "\(key)")
        }
        #expect(model.linear1[0].namedParameters().map { $0.1.values } == headBefore)

        // Through the spec: these tiny weights do not fit the small size, and the error says which file.
        let spec = ModelSpec(name: "csta", variant: .paper, size: .small, options: ["trunk_weights": file.path])
        do {
            _ = try CSTAPaper(spec: spec)
            Issue.record("weights of another width were accepted")
        } catch let error as CSTAPaperError {
            #expect(error.description.contains(file.path) && error.description.contains("shape mismatches"))
        }
    }

    /// Each video of a padded batch scores as it does alone; padded positions score 0.
    @Test func paddedBatchGivesEachVideoItsOwnScores() {
        ReportModelChecks.paddedBatchMatchesEachVideoAlone(CSTAPaper(config: CSTAPaper.Config(inputDim: 16, widthDivisor: 16), seed: 3),
                                                           lengths: [31, 14, 20])
    }

    /// The analytic count against the products the core executed (divisor 16: no 3x3 convolution has 16
    /// channels in and out, so none runs as Winograd, which executes fewer).
    @Test func flopCountMatchesTheCore() {
        ReportModelChecks.flopsAgree(CSTAPaper(config: CSTAPaper.Config(inputDim: 24, widthDivisor: 16)), lengths: [40])
    }

    /// Adam on the model's own training loss, one synthetic MR.HiSum video per step (batch size 1, as the
    /// contract says), at `--size small`: the loss over the last epochs is well below the first epoch's.
    @Test func trainingOnSyntheticVideosLowersTheLoss() throws {
        var config = SyntheticConfig()
        config.seed = 17
        config.trainCount = 6
        config.valCount = 1
        config.testCount = 1
        config.minLength = 24
        config.maxLength = 40
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("csta-paper-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = try SyntheticMRHiSum.generate(config, to: directory)
        let dataset = try VideoDatasets.open(data.dataFile, splitFile: data.splitFile, expectedFeatureWidth: 1024)
        let model = try CSTAPaper(spec: ModelSpec(name: "csta", variant: .paper, size: .small, dropout: 0.1, seed: 3))
        let optimizer = Adam(model.parameters(), lr: 1e-3, weightDecay: 1e-7)
        let loader = try BatchLoader(dataset: dataset, keys: dataset.split.train, batchSize: 1, shuffle: true, seed: 5)
        model.train()
        var epochLosses: [Float] = []
        for epoch in 0..<10 {
            var sum: Float = 0
            for keys in loader.plan(epoch: epoch) {
                let modelBatch = try ModelBatch(videos: keys.map { try dataset.video($0) })
                try CSTAPaper.checkLength(modelBatch.lengths[0], video: keys[0])
                model.zeroGrad()
                let loss = model.trainingLoss(modelBatch)
                loss.backward()
                optimizer.step()
                sum += loss.item
            }
            epochLosses.append(sum / Float(config.trainCount))
        }
        #expect(epochLosses.allSatisfy { $0.isFinite })
        // The mean of the last three epochs against the first epoch: single epochs of six videos are noisy
        // (0.22 -> 0.11...0.13 over epochs 5-10 here; the trajectory moves with the thread count).
        let late = epochLosses.suffix(3).reduce(0, +) / 3
        #expect(late < 0.7 * epochLosses[0], "epoch losses \(epochLosses)")
        print("csta paper synthetic training: epoch losses \(epochLosses)")
    }
}

extension CSTAPaperError {
    var difference: Float {
        if case let .positionalTable(_, _, difference) = self { return difference }
        return 0
    }
}
