import TensorCore

/// A video-summarisation model: frame features in, per-frame importance scores in (0, 1) out.
/// Parameters carry PyTorch `state_dict` keys (see `Module`), so checkpoints move both ways.
public protocol SummaryModel: Module {
    /// The registry name ("logonet", "csta", ...).
    var name: String { get }
    /// Feature width F the model expects.
    var inputDim: Int { get }
    /// features (B, T, F) and mask (B, T) with 1 for real frames and 0 for padding -> scores (B, T).
    /// Scores at padded positions are unspecified; losses and metrics ignore them.
    func callAsFunction(_ features: Tensor, mask: Tensor) -> Tensor
    /// Multiply-add FLOPs (counted as 2) of one forward pass per frame, for a video of `length` frames,
    /// from matrix products and convolutions: what the speed report divides achieved GFLOP/s by.
    func forwardFlopsPerFrame(length: Int) -> Double
    /// The configuration as printable key/value pairs (written into run records).
    var configuration: [String: String] { get }

    /// How this model trains: batch size limit, what its batches carry, its loss (TrainingContract.swift).
    var contract: TrainingContract { get }
    /// The training loss of one batch: a scalar tensor whose backward gives the step's gradients.
    /// Default: masked MSE of the outputs against gtscore over real frames.
    func trainingLoss(_ batch: ModelBatch) -> Tensor
    /// Per-frame scores (B, T) in [0, 1] for evaluation; callers switch to eval mode and off gradients.
    /// Default: the model's outputs.
    func frameScores(_ batch: ModelBatch) -> Tensor
}

extension SummaryModel {
    public var contract: TrainingContract { .paddedMSE }
    public func trainingLoss(_ batch: ModelBatch) -> Tensor { maskedMSELoss(batch) }
    public func frameScores(_ batch: ModelBatch) -> Tensor { self(batch.features, mask: batch.mask) }
}

/// Which architecture: the one that produced the report's table, or the authors' published one.
public enum ModelVariant: String, Sendable, CaseIterable, Codable {
    case report, paper
}

/// `paper` = published widths; `small` = every hidden width and channel count divided by 4
/// (input width, depth, heads, kernel sizes unchanged).
public enum ModelSize: String, Sendable, CaseIterable, Codable {
    case paper, small

    public func scaled(_ width: Int) -> Int { self == .small ? Swift.max(1, width / 4) : width }
}

/// Everything needed to build a model.
public struct ModelSpec: Sendable {
    public var name: String
    public var variant: ModelVariant
    public var size: ModelSize
    public var inputDim: Int
    public var dropout: Float
    public var seed: UInt64
    /// Model-specific switches by snake_case name, e.g. ["kernel": "5", "cross_attention": "false"].
    public var options: [String: String]

    public init(name: String, variant: ModelVariant = .report, size: ModelSize = .paper, inputDim: Int = 1024,
                dropout: Float = 0.5, seed: UInt64 = 0, options: [String: String] = [:]) {
        self.name = name
        self.variant = variant
        self.size = size
        self.inputDim = inputDim
        self.dropout = dropout
        self.seed = seed
        self.options = options
    }

    /// A boolean option, or `defaultValue` when absent; an unreadable value is an error naming the option.
    public func flag(_ key: String, default defaultValue: Bool) throws -> Bool {
        guard let raw = options[key] else { return defaultValue }
        switch raw.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ModelError.badOption(model: name, option: key, value: raw, expected: "true or false")
        }
    }

    public func integer(_ key: String, default defaultValue: Int) throws -> Int {
        guard let raw = options[key] else { return defaultValue }
        guard let v = Int(raw) else { throw ModelError.badOption(model: name, option: key, value: raw, expected: "an integer") }
        return v
    }
}

public enum ModelError: Error, CustomStringConvertible, Equatable {
    case unknownModel(String, known: [String])
    case unsupportedVariant(model: String, variant: ModelVariant, known: [ModelVariant])
    case badOption(model: String, option: String, value: String, expected: String)
    case unknownOptions(model: String, options: [String], known: [String])
    case inconsistentEntry(model: String, problem: String)
    case invalidSchedule(String)
    case batchTooLarge(model: String, limit: Int, requested: Int)
    case lossMismatch(model: String, modelLoss: String, scheduleLoss: String)
    case unsupportedBatchNeed(video: String, need: String)

    public var description: String {
        switch self {
        case let .unknownModel(name, known):
            return "unknown model '\(name)'; known models: \(known.joined(separator: ", "))"
        case let .unsupportedVariant(model, variant, known):
            return "model '\(model)' has no '\(variant.rawValue)' variant (it has: \(known.map(\.rawValue).joined(separator: ", ")))"
        case let .badOption(model, option, value, expected):
            return "model '\(model)': option \(option)=\(value) is not \(expected)"
        case let .unknownOptions(model, options, known):
            return "model '\(model)': unknown options \(options.joined(separator: ", ")) (it understands: "
                + (known.isEmpty ? "none" : known.joined(separator: ", ")) + ")"
        case let .inconsistentEntry(model, problem):
            return "registry entry \(model): \(problem)"
        case let .invalidSchedule(what):
            return "invalid schedule: \(what)"
        case let .batchTooLarge(model, limit, requested):
            return "model '\(model)' takes at most \(limit) video\(limit == 1 ? "" : "s") per step, but the schedule asks for a batch of \(requested)"
        case let .unsupportedBatchNeed(video, need):
            return "video \(video): cannot give the model \(need)"
        case let .lossMismatch(model, modelLoss, scheduleLoss):
            return "model '\(model)' trains with \(modelLoss), but the schedule names \(scheduleLoss)"
        }
    }
}
