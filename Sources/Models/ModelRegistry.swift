import TensorCore

/// How to build one registered model.
public struct ModelEntry: Sendable {
    public let name: String
    public let variants: [ModelVariant]
    /// The option keys `make` understands (others are rejected, so a typo is not silently ignored).
    public let options: [String]
    public let make: @Sendable (ModelSpec) throws -> any SummaryModel
}

/// All models by name. Adding a model is one new file plus one line here.
public enum ModelRegistry {
    public static let entries: [ModelEntry] = [
        // LoGoNet is the report's own model: its published architecture is the report's.
        ModelEntry(name: "logonet", variants: [.report, .paper], options: ["kernel", "cross_attention", "adaptive_fusion"],
                   make: { try LoGoNet(spec: $0) }),
        ModelEntry(name: "csta", variants: [.report], options: [], make: { try CSTA(spec: $0) }),
        ModelEntry(name: "videosage", variants: [.report], options: [], make: { try VideoSAGE(spec: $0) }),
        ModelEntry(name: "edsnet", variants: [.report], options: [], make: { try EDSNet(spec: $0) }),
    ]

    public static var names: [String] { entries.map(\.name) }

    public static func make(_ spec: ModelSpec) throws -> any SummaryModel {
        guard let entry = entries.first(where: { $0.name == spec.name }) else {
            throw ModelError.unknownModel(spec.name, known: names)
        }
        guard entry.variants.contains(spec.variant) else {
            throw ModelError.unsupportedVariant(model: spec.name, variant: spec.variant)
        }
        let unknown = spec.options.keys.filter { !entry.options.contains($0) }.sorted()
        guard unknown.isEmpty else { throw ModelError.unknownOptions(model: spec.name, options: unknown) }
        return try entry.make(spec)
    }
}
