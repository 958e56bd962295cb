import Foundation
import TensorCore

/// The configuration of `edsnet --variant paper` (models.md section 5.3): which token mixer, which
/// pooling, which anchor scales, and the widths.
public struct EDSNetPaperConfig: Codable, Equatable, Sendable {
    public enum Mixer: String, Codable, Sendable, CaseIterable { case fourier, nystrom }
    public enum Pooling: String, Codable, Sendable, CaseIterable { case roi, fft }

    public var inputDim: Int
    public var mixer: Mixer
    public var pooling: Pooling
    /// Anchor widths in frames; FFT pooling takes exactly one.
    public var scales: [Int]
    /// `num_hidden`: the width after fc1, of the FC stack, the pooling and the heads.
    public var hidden: Int
    /// How many times the one shared FC block is applied (the official `fc_depth`, 7 in the paper).
    public var fcDepth: Int
    public var heads: Int
    public var headDim: Int
    public var landmarks: Int
    public var pinvIterations: Int
    public var residualKernel: Int
    /// Dropout after the Fourier mixer's Linear and inside the FC block (0.5 in the official code).
    public var dropout: Float

    enum CodingKeys: String, CodingKey {
        case inputDim = "input_dim", mixer, pooling, scales, hidden, fcDepth = "fc_depth", heads, headDim = "head_dim"
        case landmarks, pinvIterations = "pinv_iterations", residualKernel = "residual_kernel", dropout
    }

    public init(inputDim: Int = 1024, mixer: Mixer = .fourier, pooling: Pooling = .fft, scales: [Int] = [4],
                hidden: Int = 128, fcDepth: Int = 7, heads: Int = 8, headDim: Int = 64, landmarks: Int = 64,
                pinvIterations: Int = 6, residualKernel: Int = 33, dropout: Float = 0.5) {
        self.inputDim = inputDim
        self.mixer = mixer
        self.pooling = pooling
        self.scales = scales
        self.hidden = hidden
        self.fcDepth = fcDepth
        self.heads = heads
        self.headDim = headDim
        self.landmarks = landmarks
        self.pinvIterations = pinvIterations
        self.residualKernel = residualKernel
        self.dropout = dropout
    }

    /// The two published configurations: (fourier, fft, 4) with 1,269,763 parameters and
    /// (nystrom, roi, 12) with 2,248,843.
    public static let fourierFFT4 = EDSNetPaperConfig(mixer: .fourier, pooling: .fft, scales: [4])
    public static let nystromROI12 = EDSNetPaperConfig(mixer: .nystrom, pooling: .roi, scales: [12])

    public static let optionKeys: Set<String> = ["mixer", "pooling", "scales"]

    /// From `--option mixer=fourier|nystrom`, `pooling=roi|fft`, `scales=4` or `scales=4,8,16,32`
    /// (defaults fourier, fft, 4) and `--size`: `small` divides `hidden` (128 -> 32) and the Nystrom head
    /// width (64 -> 16) by 4; the input width, the Fourier mixer's Linear (it works at the input width),
    /// the heads, landmarks, kernel, FC depth and the anchor scales stay as published.
    public static func from(_ spec: ModelSpec) throws -> EDSNetPaperConfig {
        let unknown = Set(spec.options.keys).subtracting(optionKeys)
        if !unknown.isEmpty { throw ModelError.unknownOptions(model: spec.name, options: unknown.sorted(), known: optionKeys.sorted()) }
        var config = EDSNetPaperConfig(inputDim: spec.inputDim, dropout: spec.dropout)
        if let raw = spec.options["mixer"] {
            guard let mixer = Mixer(rawValue: raw.lowercased()) else {
                throw ModelError.badOption(model: spec.name, option: "mixer", value: raw, expected: "fourier or nystrom")
            }
            config.mixer = mixer
        }
        if let raw = spec.options["pooling"] {
            guard let pooling = Pooling(rawValue: raw.lowercased()) else {
                throw ModelError.badOption(model: spec.name, option: "pooling", value: raw, expected: "roi or fft")
            }
            config.pooling = pooling
        }
        if let raw = spec.options["scales"] {
            let parts = raw.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
                throw ModelError.badOption(model: spec.name, option: "scales", value: raw,
                                           expected: "comma-separated anchor widths such as 4 or 4,8,16,32")
            }
            config.scales = parts.map { $0! }
        }
        config.hidden = spec.size.scaled(config.hidden)
        config.headDim = spec.size.scaled(config.headDim)
        if let problem = config.problem {
            throw ModelError.badOption(model: spec.name, option: "scales", value: config.scales.map(String.init).joined(separator: ","),
                                       expected: problem)
        }
        return config
    }

    /// Why the official code could not run this configuration, if it could not.
    public var problem: String? {
        if scales.isEmpty || scales.contains(where: { $0 < 1 }) { return "positive anchor widths" }
        switch pooling {
        case .fft:
            // The official heads view the one pooled row per frame as (T, len(scales)).
            if scales.count != 1 { return "one anchor width with pooling=fft (the official code views its heads as (T, 1))" }
        case .roi:
            // AvgPool1d(s, 1, s // 2) gives T + 1 rows for an even s, and the code drops the last; an odd s
            // gives T rows, one is dropped, and the official view to (T, scales) fails.
            if scales.contains(where: { $0 % 2 != 0 }) { return "even anchor widths with pooling=roi" }
        }
        return nil
    }
}
