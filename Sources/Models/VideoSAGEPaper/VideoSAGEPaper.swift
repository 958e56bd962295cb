import TensorCore

/// VideoSAGE as published (SPELL, CVPRW 2024; IntelLabs/GraVi-T `gravit/models/context_reasoning/spell.py`
/// with the video-summarisation configs), models.md section 5.2: `videosage --variant paper`.
///
/// One video is one graph over its frames (`TemporalGraph`, radius tau, three streams by edge sign):
///
///     h  = relu(batch01(layer011(x)))                          Linear(F, c1) + BatchNorm, no dropout
///     per stream s in (forward: layer11, backward: layer12, undirected: layer13):
///       a_s = dropout(relu(batch1s(EdgeConv_s(h))))           max aggregation, MLP 2c1 -> c1 -> c1
///       a_s = dropout(relu(batch21(layer21(a_s))))             SAGEConv(c1, c2) and BatchNorm, both shared
///       z_s = layer3s(a_s)                                     SAGEConv(c2, 1)
///     logits = z_f + z_b + z_u
///
/// The shared batch21 is called once per stream, so in training its running statistics take three
/// momentum updates per step, in stream order, as in the official code. Scores are sigmoid(logits);
/// training minimises BCE-with-logits against the continuous gtscore (`trainingLoss`).
public final class VideoSAGEPaper: SummaryModel {
    /// One graph (video) per step, BCE-with-logits: known before a model is built.
    public static let contract = TrainingContract(maxBatchSize: 1, loss: .bceWithLogits)
    public var contract: TrainingContract { Self.contract }

    public let config: Config
    public var isTraining = true
    let layer011: Linear
    let batch01: GraphBatchNorm
    /// Per stream, in the official order (forward, backward, undirected): layer11/12/13 and batch11/12/13.
    let edgeConvs: [EdgeConv]
    let edgeNorms: [GraphBatchNorm]
    let layer21: SAGEConv
    let batch21: GraphBatchNorm
    /// layer31/32/33: one logit per node and stream.
    let scoreConvs: [SAGEConv]
    let dropout: Dropout

    static let streams: [TemporalGraph.Stream] = [.forward, .backward, .undirected]

    public init(config: Config, seed: UInt64 = 0) {
        checkArgument(config.channel1 >= 1 && config.channel2 >= 1 && config.tau >= 0,
                      "videosage (paper): needs positive widths and tau >= 0, got \(config)")
        self.config = config
        let rng = RandomSource(seed: seed), dropoutRNG = rng.split()
        let (c1, c2) = (config.channel1, config.channel2)
        layer011 = Linear(config.inputDim, c1, rng: rng)
        batch01 = GraphBatchNorm(c1)
        var convs: [EdgeConv] = [], norms: [GraphBatchNorm] = []
        for _ in Self.streams {
            convs.append(EdgeConv(inChannels: c1, hidden: c1, outChannels: c1, rng: rng))
            norms.append(GraphBatchNorm(c1))
        }
        edgeConvs = convs
        edgeNorms = norms
        layer21 = SAGEConv(inChannels: c1, outChannels: c2, rng: rng)
        batch21 = GraphBatchNorm(c2)
        scoreConvs = Self.streams.map { _ in SAGEConv(inChannels: c2, outChannels: 1, rng: rng) }
        dropout = Dropout(config.dropout, rng: dropoutRNG)
    }

    /// `--option config=tvsum|summe`, `--size paper|small` (see `Config.from`).
    public convenience init(spec: ModelSpec) throws {
        self.init(config: try Config.from(spec), seed: spec.seed)
    }

    public var name: String { "videosage" }
    public var inputDim: Int { config.inputDim }

    public var children: [(String, any Module)] {
        var out: [(String, any Module)] = [("layer011", layer011), ("batch01", batch01)]
        for (s, (conv, norm)) in zip(edgeConvs, edgeNorms).enumerated() {
            out += [("layer1\(s + 1)", conv), ("batch1\(s + 1)", norm)]
        }
        out += [("layer21", layer21), ("batch21", batch21)]
        out += scoreConvs.enumerated().map { ("layer3\($0.offset + 1)", $0.element as any Module) }
        return out + [("dropout", dropout)]
    }

    /// The three stream graphs of videos with these lengths (a disjoint union).
    public func graphs(lengths: [Int]) -> [TemporalGraph] {
        Self.streams.map { TemporalGraph(segments: lengths, radius: config.tau, stream: $0) }
    }

    /// Node features (N, F) over the stream graphs -> per-node logits (N, 1).
    public func logits(nodes x: Tensor, graphs: [TemporalGraph]) -> Tensor {
        checkArgument(graphs.count == 3 && graphs.allSatisfy { $0.nodes == x.shape[0] },
                      "videosage (paper): needs the forward, backward and undirected graphs of \(x.shape[0]) nodes")
        let h = batch01(layer011(x)).relu()
        var total: Tensor? = nil
        for s in 0..<3 {
            let g = graphs[s]
            var a = dropout(reluOf: edgeNorms[s](edgeConvs[s](h, graph: g)))
            a = dropout(reluOf: batch21(layer21(a, graph: g)))
            let z = scoreConvs[s](a, graph: g)
            total = total.map { $0 + z } ?? z
        }
        return total!
    }

    /// Per-frame logits (B, T), zero at padded frames: each video is its own graph.
    public func frameLogits(_ features: Tensor, mask: Tensor) -> Tensor {
        requireFeaturesAndMask(model: name, features: features, mask: mask, inputDim: inputDim)
        let lengths = FrameNodes.lengths(mask: mask, model: "\(name) (paper)")
        let nodes = FrameNodes.pack(features, lengths: lengths)
        return FrameNodes.unpack(logits(nodes: nodes, graphs: graphs(lengths: lengths)), lengths: lengths,
                                 maxLength: features.shape[1])
    }

    /// Scores sigmoid(logits) in (0, 1); zero at padded frames.
    public func callAsFunction(_ features: Tensor, mask: Tensor) -> Tensor {
        frameLogits(features, mask: mask).sigmoid() * mask
    }

    public var configuration: [String: String] {
        ["input_dim": "\(config.inputDim)", "channel1": "\(config.channel1)", "channel2": "\(config.channel2)",
         "tau": "\(config.tau)", "dropout": "\(config.dropout)", "streams": "forward,backward,undirected",
         "aggregation": "edgeconv_max,sage_mean"]
    }
}
