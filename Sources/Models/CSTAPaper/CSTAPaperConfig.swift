import TensorCore

extension CSTAPaper {
    /// The widths and dropouts of CSTA's paper variant.
    ///
    /// `widthDivisor` d divides every channel count of the GoogLeNet trunk and the projection width
    /// (1024 / d) together. They must shrink together: the skip connection adds the trunk's output
    /// (inception5b's channels, 1024 / d) to the key, whose width is the projection width, and the key
    /// is also the trunk's input image (its width axis). d = 1 is the published model; d = 4 is
    /// `--size small` (trunk channels 64 -> 16 ... inception5b 1024 -> 256, key / value / head width
    /// 256, input width 1024, every kernel, stride, depth, the 1000-class `googlenet.fc`, the 5000-row
    /// encoding table, the dropouts and the schedule unchanged: 1,205,923 parameters, 948,923 without
    /// `googlenet.fc`). Other powers of two up to 128 are for tests: d = 8 and 32 are the parity
    /// fixtures' widths; above 16, a video of under 61 frames leaves the last BatchNorms one value per
    /// channel, which PyTorch refuses in training (this core normalises it to the BatchNorm bias).
    public struct Config: Codable, Equatable, Sendable {
        public var inputDim: Int
        public var widthDivisor: Int
        /// The one Dropout module both attention maps pass through (the official `Dropout_ratio`, 0.6).
        public var attentionDropout: Float
        /// The head's dropout between ReLU and LayerNorm (0.5 in the official code).
        public var headDropout: Float

        enum CodingKeys: String, CodingKey {
            case inputDim = "input_dim", widthDivisor = "width_divisor"
            case attentionDropout = "attention_dropout", headDropout = "head_dropout"
        }

        public init(inputDim: Int = 1024, widthDivisor: Int = 1, attentionDropout: Float = 0.6, headDropout: Float = 0.5) {
            self.inputDim = inputDim
            self.widthDivisor = widthDivisor
            self.attentionDropout = attentionDropout
            self.headDropout = headDropout
        }

        public static let published = Config()
        /// `--size small`: see the type's comment.
        public static let small = Config(widthDivisor: 4)

        /// The projection width: key, value, attention map and head (1024 at published width).
        public var projDim: Int { 1024 / widthDivisor }

        /// A trunk channel count of the published GoogLeNet at this width.
        func scaled(_ channels: Int) -> Int { Swift.max(1, channels / widthDivisor) }

        /// From a model spec: `--size` picks the divisor, `spec.dropout` is the head's dropout (the
        /// harness passes the schedule's 0.5, the official value), `--option attention_dropout=P`
        /// overrides the attention maps' 0.6.
        public static func from(_ spec: ModelSpec) throws -> Config {
            var config = spec.size == .small ? small : published
            config.inputDim = spec.inputDim
            config.headDropout = spec.dropout
            if let raw = spec.options["attention_dropout"] {
                guard let p = Float(raw), (0..<1).contains(p) else {
                    throw ModelError.badOption(model: spec.name, option: "attention_dropout", value: raw,
                                               expected: "a probability in [0, 1)")
                }
                config.attentionDropout = p
            }
            return config
        }

        func validate() {
            checkArgument(widthDivisor >= 1 && widthDivisor <= 128 && widthDivisor & (widthDivisor - 1) == 0,
                          "csta (paper): width divisor \(widthDivisor) must be a power of two from 1 to 128")
            checkArgument(inputDim > 0, "csta (paper): input width \(inputDim) must be positive")
            checkArgument((0..<1).contains(attentionDropout) && (0..<1).contains(headDropout),
                          "csta (paper): dropouts \(attentionDropout), \(headDropout) must lie in [0, 1)")
        }
    }
}
