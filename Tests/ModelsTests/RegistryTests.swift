import Testing
@testable import Models

/// The registry holds everything about a model and refuses an entry whose parts disagree.
struct RegistryTests {
    static func schedule(batch: Int = 4, loss: LossKind = .maskedMSE, epochs: Int = 3) -> TrainingSchedule {
        TrainingSchedule(batchSize: batch, epochs: epochs, optimizer: .adam, weightDecay: 0, peakLearningRate: 1e-3,
                         learningRateShape: .fixed, gradientClip: nil, loss: loss)
    }

    static func entry(_ name: String = "m", options: [ModelOption] = [], contract: TrainingContract = .paddedMSE,
                      schedule: @escaping @Sendable (ScheduleContext) -> TrainingSchedule = { _ in RegistryTests.schedule() }) -> ModelEntry {
        ModelEntry(name: name, summary: "test", variants: [
            VariantEntry(.report, options: options, contract: contract, deviations: [], schedule: schedule,
                         make: { try CSTA(spec: $0) }),
        ])
    }

    static func problem(_ entries: [ModelEntry]) -> String? {
        do {
            _ = try ModelRegistry(entries)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func theStandardRegistryIsConsistent() throws {
        let registry = try ModelRegistry(ModelRegistry.standard.entries)
        #expect(registry.names == ["logonet", "csta", "videosage", "edsnet"])
        for entry in registry.entries {
            for variant in entry.variants {
                let schedule = try registry.publishedSchedule(entry.name, variant.variant)
                #expect(schedule.loss == variant.contract.loss, "\(entry.name) \(variant.variant)")
            }
        }
    }

    @Test func inconsistentEntriesAreRefused() {
        #expect(Self.problem([Self.entry()]) == nil)
        #expect(Self.problem([Self.entry("a"), Self.entry("a")]) == "registry entry a: the name is empty or taken twice")
        #expect(Self.problem([Self.entry(contract: TrainingContract(maxBatchSize: 1))])
                == "registry entry m --variant report: the schedule's batch size 4 exceeds the model's limit of 1 per step")
        #expect(Self.problem([Self.entry(contract: TrainingContract(loss: .bceWithLogits))])
                == "registry entry m --variant report: the schedule's loss masked_mse is not the model's bce_with_logits")
        #expect(Self.problem([Self.entry(schedule: { _ in RegistryTests.schedule(epochs: 0) })])
                == "registry entry m --variant report: published schedule: invalid schedule: epochs 0 must be at least 1")
        // A schedule that is wrong only for one data set (here SumMe) is caught too.
        #expect(Self.problem([Self.entry(schedule: { context in
            RegistryTests.schedule(batch: context.dataPath.contains("summe") ? 8 : 1)
        })]) == nil)
        #expect(Self.problem([Self.entry(contract: TrainingContract(maxBatchSize: 1), schedule: { context in
            RegistryTests.schedule(batch: context.dataPath.contains("summe") ? 8 : 1)
        })]) == "registry entry m --variant report: the schedule's batch size 8 exceeds the model's limit of 1 per step")
        #expect(Self.problem([Self.entry(options: [ModelOption("k", .oddInteger(1...9), default: "4", help: "")])])
                == "registry entry m --variant report: option k's default '4' is not an odd integer in 1...9 in canonical form")
        let twice = ModelOption("k", .boolean, default: "true", help: "")
        #expect(Self.problem([Self.entry(options: [twice, twice])]) == "registry entry m --variant report: an option is declared twice")
        let doubled = ModelEntry(name: "m", summary: "", variants: Self.entry().variants + Self.entry().variants)
        #expect(Self.problem([doubled]) == "registry entry m: variant report is listed twice")
    }

    @Test func optionsAreCheckedCompletedAndCanonical() throws {
        let logonet = try ModelRegistry.standard.variant("logonet", .report)
        #expect(try logonet.resolveOptions([:], model: "logonet") == ["kernel": "3", "cross_attention": "true", "adaptive_fusion": "true"])
        #expect(try logonet.resolveOptions(["kernel": "5", "cross_attention": "no"], model: "logonet")
                == ["kernel": "5", "cross_attention": "false", "adaptive_fusion": "true"])
        #expect(throws: ModelError.badOption(model: "logonet", option: "kernel", value: "4", expected: "an odd integer in 1...31")) {
            try logonet.resolveOptions(["kernel": "4"], model: "logonet")
        }
        let csta = try ModelRegistry.standard.variant("csta", .report)
        #expect(throws: ModelError.unknownOptions(model: "csta", options: ["kernel"], known: [])) {
            try csta.resolveOptions(["kernel": "3"], model: "csta")
        }
        #expect("\(ModelError.unknownOptions(model: "csta", options: ["kernel"], known: []))"
                == "model 'csta': unknown options kernel (it understands: none)")
    }
}
