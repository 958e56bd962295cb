import TensorCore

extension VideoSAGEPaper {
    /// The published configurations of GraVi-T's video-summarisation SPELL (`configs/video-summarization/
    /// {TVSum,SumMe}/SPELL_default.yaml` and the graphs they name, `TVSum_5_0` / `SumMe_10_0`: tau 5 or
    /// 10, no skip connections). MR.HiSum uses the TVSum one.
    public enum Preset: String, Sendable, CaseIterable, Codable {
        case tvsum, summe
    }

    public struct Config: Codable, Equatable, Sendable {
        public var inputDim: Int
        /// c1: the input projection's and the EdgeConvs' width.
        public var channel1: Int
        /// c2: the shared SAGEConv's width.
        public var channel2: Int
        /// The temporal graph's radius: edges join frames at most tau apart.
        public var tau: Int
        public var dropout: Float

        enum CodingKeys: String, CodingKey {
            case inputDim = "input_dim", channel1, channel2, tau, dropout
        }

        public init(inputDim: Int, channel1: Int, channel2: Int, tau: Int, dropout: Float) {
            self.inputDim = inputDim
            self.channel1 = channel1
            self.channel2 = channel2
            self.tau = tau
            self.dropout = dropout
        }

        /// TVSum: c1 256, c2 128, tau 5 (922,499 parameters).
        public static let tvsum = Config(inputDim: 1024, channel1: 256, channel2: 128, tau: 5, dropout: 0.5)
        /// SumMe: c1 128, c2 256, tau 10 (348,291 parameters).
        public static let summe = Config(inputDim: 1024, channel1: 128, channel2: 256, tau: 10, dropout: 0.5)

        public static func published(_ preset: Preset) -> Config {
            switch preset {
            case .tvsum: return .tvsum
            case .summe: return .summe
            }
        }

        /// `--option config=tvsum|summe` (default tvsum); `--size small` divides c1 and c2 by 4 (tau, the
        /// input width and the structure unchanged: TVSum 64 / 32, SumMe 32 / 64).
        public static func from(_ spec: ModelSpec) throws -> Config {
            let raw = spec.options["config"] ?? Preset.tvsum.rawValue
            guard let preset = Preset(rawValue: raw.lowercased()) else {
                throw ModelError.badOption(model: spec.name, option: "config", value: raw, expected: "tvsum or summe")
            }
            let published = Config.published(preset)
            return Config(inputDim: spec.inputDim, channel1: spec.size.scaled(published.channel1),
                          channel2: spec.size.scaled(published.channel2), tau: published.tau, dropout: spec.dropout)
        }
    }
}
