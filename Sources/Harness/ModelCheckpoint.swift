import FileSupport
import Foundation
import Models
import TensorCore

/// What a checkpoint records about the model it holds, so `bench predict` can rebuild exactly that model
/// from the file alone: name, variant, size, input width and every option (JSON in the safetensors
/// metadata, next to the epoch and run it came from).
public struct CheckpointIdentity: Equatable, Sendable {
    public var model: String
    public var variant: ModelVariant
    public var size: ModelSize
    public var inputDim: Int
    public var options: [String: String]

    public init(model: String, variant: ModelVariant, size: ModelSize, inputDim: Int, options: [String: String]) {
        self.model = model
        self.variant = variant
        self.size = size
        self.inputDim = inputDim
        self.options = options
    }

    public init(plan: RunPlan, inputDim: Int) {
        self.init(model: plan.model, variant: plan.variant, size: plan.size, inputDim: inputDim, options: plan.options)
    }

    public var metadata: [String: String] {
        let json = (try? JSONCoding.compactEncoder.encode(options)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return ["model": model, "variant": variant.rawValue, "size": size.rawValue, "input_dim": "\(inputDim)", "options": json]
    }

    /// The identity a checkpoint's metadata records; nil when it records none (a PyTorch export).
    /// A checkpoint that records some but not all of it, or unreadable values, is an error naming the file.
    public static func read(_ metadata: [String: String], file: String) throws -> CheckpointIdentity? {
        guard let model = metadata["model"] else { return nil }
        func bad(_ what: String) -> HarnessError { .invalidArgument("\(file): the checkpoint's metadata has \(what)") }
        guard let variant = metadata["variant"].flatMap(ModelVariant.init(rawValue:)) else { throw bad("no readable variant") }
        guard let size = metadata["size"].flatMap(ModelSize.init(rawValue:)) else { throw bad("no readable size") }
        // Checkpoints written before identities were recorded carry model, variant and size only.
        let inputDim = try metadata["input_dim"].map { raw -> Int in
            guard let v = Int(raw), v > 0 else { throw bad("input_dim '\(raw)'") }
            return v
        }
        var options: [String: String] = [:]
        if let raw = metadata["options"] {
            guard let decoded = try? JSONDecoder().decode([String: String].self, from: Data(raw.utf8)) else { throw bad("options '\(raw)'") }
            options = decoded
        }
        return CheckpointIdentity(model: model, variant: variant, size: size, inputDim: inputDim ?? 1024, options: options)
    }
}

extension CheckpointIdentity {
    /// The model this identity describes, built through the registry (options checked as for a run).
    public func makeModel(registry: ModelRegistry = .standard) throws -> any SummaryModel {
        try registry.make(ModelSpec(name: model, variant: variant, size: size, inputDim: inputDim, options: options))
    }
}
