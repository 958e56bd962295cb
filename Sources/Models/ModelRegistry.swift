import Foundation
import TensorCore

/// What a variant's published schedule may depend on: its resolved options and the data it trains on
/// (VideoSAGE's paper schedule differs between TVSum and SumMe).
public struct ScheduleContext: Sendable {
    public var options: [String: String]
    /// The data file's path (a hint: "summe" in it selects SumMe's schedules), "" when unknown.
    public var dataPath: String

    public init(options: [String: String] = [:], dataPath: String = "") {
        self.options = options
        self.dataPath = dataPath
    }

    /// Data paths the registry checks every schedule against (one per data-dependent branch).
    static let probes = ["", "eccv16_dataset_tvsum_google_pool5.h5", "eccv16_dataset_summe_google_pool5.h5", "mr_hisum.h5"]
}

/// One variant of a model: everything the harness needs to know about it, in one place.
public struct VariantEntry: Sendable {
    public let variant: ModelVariant
    public let options: [ModelOption]
    public let contract: TrainingContract
    /// The published schedule (schedules.md) for a context.
    public let schedule: @Sendable (ScheduleContext) -> TrainingSchedule
    /// Where this implementation departs from its source, on purpose (written into run.json).
    public let deviations: [String]
    public let make: @Sendable (ModelSpec) throws -> any SummaryModel

    public init(_ variant: ModelVariant, options: [ModelOption] = [], contract: TrainingContract = .paddedMSE,
                deviations: [String], schedule: @escaping @Sendable (ScheduleContext) -> TrainingSchedule,
                make: @escaping @Sendable (ModelSpec) throws -> any SummaryModel) {
        self.variant = variant
        self.options = options
        self.contract = contract
        self.schedule = schedule
        self.deviations = deviations
        self.make = make
    }

    /// `given` checked against the declared options, in canonical spelling, with every default filled in.
    public func resolveOptions(_ given: [String: String], model: String) throws -> [String: String] {
        let unknown = given.keys.filter { key in !options.contains { $0.name == key } }.sorted()
        guard unknown.isEmpty else {
            throw ModelError.unknownOptions(model: model, options: unknown, known: options.map(\.name))
        }
        var resolved: [String: String] = [:]
        for option in options {
            guard let raw = given[option.name] ?? option.defaultValue else { continue }
            guard let value = option.canonical(raw) else {
                throw ModelError.badOption(model: model, option: option.name, value: raw, expected: option.allowedDescription)
            }
            resolved[option.name] = value
        }
        return resolved
    }
}

/// A registered model: its name, a line for the command-line help, and its variants.
public struct ModelEntry: Sendable {
    public let name: String
    public let summary: String
    public let variants: [VariantEntry]

    public init(name: String, summary: String, variants: [VariantEntry]) {
        self.name = name
        self.summary = summary
        self.variants = variants
    }

    public func variant(_ variant: ModelVariant) throws -> VariantEntry {
        guard let entry = variants.first(where: { $0.variant == variant }) else {
            throw ModelError.unsupportedVariant(model: name, variant: variant, known: variants.map(\.variant))
        }
        return entry
    }
}

/// All models by name, each entry checked for consistency when the registry is made: unique names,
/// variants and options, defaults among the allowed values, and a published schedule that is valid,
/// names the model's own loss and fits its batch-size limit for every data set it may train on.
/// Adding a model is its file (with its `VariantEntry`) plus one line in `standard`.
public struct ModelRegistry: Sendable {
    public let entries: [ModelEntry]

    public init(_ entries: [ModelEntry]) throws {
        func fail(_ model: String, _ what: String) -> ModelError { .inconsistentEntry(model: model, problem: what) }
        var names: Set<String> = []
        for entry in entries {
            guard !entry.name.isEmpty, names.insert(entry.name).inserted else { throw fail(entry.name, "the name is empty or taken twice") }
            guard !entry.variants.isEmpty else { throw fail(entry.name, "no variants") }
            var variants: Set<ModelVariant> = []
            for v in entry.variants {
                let label = "\(entry.name) --variant \(v.variant.rawValue)"
                guard variants.insert(v.variant).inserted else { throw fail(entry.name, "variant \(v.variant.rawValue) is listed twice") }
                guard Set(v.options.map(\.name)).count == v.options.count else { throw fail(label, "an option is declared twice") }
                for option in v.options {
                    if let d = option.defaultValue, option.canonical(d) != d {
                        throw fail(label, "option \(option.name)'s default '\(d)' is not \(option.allowedDescription) in canonical form")
                    }
                }
                if let limit = v.contract.maxBatchSize, limit < 1 { throw fail(label, "maximum batch size \(limit) must be at least 1") }
                let defaults = try v.resolveOptions([:], model: entry.name)
                for path in ScheduleContext.probes {
                    let schedule = v.schedule(ScheduleContext(options: defaults, dataPath: path))
                    do { try schedule.validate() } catch { throw fail(label, "published schedule: \(error)") }
                    if schedule.loss != v.contract.loss {
                        throw fail(label, "the schedule's loss \(schedule.loss.rawValue) is not the model's \(v.contract.loss.rawValue)")
                    }
                    if let limit = v.contract.maxBatchSize, schedule.batchSize > limit {
                        throw fail(label, "the schedule's batch size \(schedule.batchSize) exceeds the model's limit of \(limit) per step")
                    }
                }
            }
        }
        self.entries = entries
    }

    public var names: [String] { entries.map(\.name) }

    public func entry(_ name: String) throws -> ModelEntry {
        guard let entry = entries.first(where: { $0.name == name }) else { throw ModelError.unknownModel(name, known: names) }
        return entry
    }

    public func variant(_ name: String, _ variant: ModelVariant) throws -> VariantEntry {
        try entry(name).variant(variant)
    }

    /// A variant's published schedule for `options` (defaults filled in) and data at `dataPath`.
    public func publishedSchedule(_ name: String, _ variant: ModelVariant, options: [String: String] = [:],
                                  dataPath: String = "") throws -> TrainingSchedule {
        let v = try self.variant(name, variant)
        return v.schedule(ScheduleContext(options: try v.resolveOptions(options, model: name), dataPath: dataPath))
    }

    /// Builds the model a spec describes, its options checked and completed with their defaults.
    public func make(_ spec: ModelSpec) throws -> any SummaryModel {
        let v = try variant(spec.name, spec.variant)
        var resolved = spec
        resolved.options = try v.resolveOptions(spec.options, model: spec.name)
        return try v.make(resolved)
    }

    /// The models of this project.
    public static let standard: ModelRegistry = {
        do {
            return try ModelRegistry([
                LoGoNet.entry,
                ModelEntry(name: "csta", summary: "CNN attention over the frame-feature image", variants: [CSTA.reportVariant, CSTAPaper.variant]),
                ModelEntry(name: "videosage", summary: "temporal graph network over the frames", variants: [VideoSAGE.reportVariant, VideoSAGEPaper.variant]),
                ModelEntry(name: "edsnet", summary: "efficient token-mixing summariser", variants: [EDSNet.reportVariant, EDSNetPaper.variant]),
            ])
        } catch {
            fatalError("the model registry is inconsistent: \(error)")
        }
    }()
}
